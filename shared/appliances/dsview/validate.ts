import type { FieldError } from '../../errors.js';
import type { Device, ViewerRequest } from '../provider.js';
import { MOUSE_MODES, SHARING_MODES } from './schemas.js';

const STANDALONE_PASSIVE_PLATFORMS = new Set(['MP1000', 'MP1000VA']);
const STANDALONE_PASSIVE_MIN_FIRMWARE = '3.33.8';

/** Compares dotted numeric versions (`3.33.10` > `3.33.8`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/**
 * Applies every launch rule of the Viewer Session API note to a request before any ticket is spent:
 * the viewer type must be one the device supports, sharing and mouse modes are KVM-only, mouse mode 2 is
 * ADX-IP-UHD-only, and STANDALONE_PASSIVE needs API v1.1 (MP1000/MP1000VA firmware 3.33.8 or later).
 */
export function validateViewerRequest(
  device: Device,
  appliance: { platform: string; firmwareVersion: string },
  request: ViewerRequest,
): FieldError[] {
  const errors: FieldError[] = [];
  const { viewerType, sharingMode, mouseMode } = request;
  // The API schema admits every kind's values; these are DSView's own.
  if (sharingMode !== undefined && !(SHARING_MODES as readonly string[]).includes(sharingMode)) {
    errors.push({ field: 'sharingMode', message: `must be one of ${SHARING_MODES.join(', ')}` });
  }
  if (mouseMode !== undefined && !(MOUSE_MODES as readonly number[]).includes(mouseMode)) {
    errors.push({ field: 'mouseMode', message: `must be one of ${MOUSE_MODES.join(', ')}` });
  }
  if (request.user !== undefined) {
    errors.push({ field: 'user', message: 'user applies to dcv appliances only' });
  }
  if (!device.viewerTypes.includes(viewerType)) {
    const supported = device.viewerTypes.length ? device.viewerTypes.join(', ') : 'none';
    errors.push({
      field: 'viewerType',
      message: `device ${device.id} (${device.type}) does not support viewer type ${viewerType}; supported: ${supported}`,
    });
  }
  if (sharingMode !== undefined && viewerType !== 'KVM') {
    errors.push({ field: 'sharingMode', message: 'sharingMode applies to KVM sessions only' });
  } else if (sharingMode === 'STANDALONE_PASSIVE') {
    const platformOk = STANDALONE_PASSIVE_PLATFORMS.has(appliance.platform);
    if (!platformOk || compareVersions(appliance.firmwareVersion, STANDALONE_PASSIVE_MIN_FIRMWARE) < 0) {
      errors.push({
        field: 'sharingMode',
        message: `STANDALONE_PASSIVE needs an MP1000 or MP1000VA at firmware ${STANDALONE_PASSIVE_MIN_FIRMWARE} or later; this appliance is ${appliance.platform} ${appliance.firmwareVersion}`,
      });
    }
  }
  if (mouseMode !== undefined && viewerType !== 'KVM') {
    errors.push({ field: 'mouseMode', message: 'mouseMode applies to KVM sessions only' });
  } else if (mouseMode === 2 && device.type !== 'ADX-IP-UHD') {
    errors.push({ field: 'mouseMode', message: 'mouseMode 2 applies to ADX-IP-UHD devices only' });
  }
  return errors;
}
