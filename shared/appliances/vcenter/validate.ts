import type { FieldError } from '../../errors.js';
import type { Device, ViewerRequest } from '../provider.js';
import { VIEWER_TYPES } from './schemas.js';

/**
 * vCenter's launch rules before any ticket is spent: a viewer type the VM offers, and for WEBMKS the
 * appliance's `htmlConsole` (the page loads that SDK). WEBMKS on a VM the snapshot shows powered off is let
 * through: the snapshot can be minutes old, so vCenter itself judges the power state, and its refusal is the
 * contract's 409 "the VM is not powered on" rather than a 400.
 */
export function validateViewerRequest(
  device: Device,
  appliance: { id: string; htmlConsole?: unknown },
  request: ViewerRequest,
): FieldError[] {
  const errors: FieldError[] = [];
  // The request schema admits every kind's fields; none of them means anything to vCenter.
  for (const field of ['sharingMode', 'mouseMode', 'user'] as const) {
    if (request[field] !== undefined) {
      errors.push({ field, message: `${field} does not apply to vcenter appliances` });
    }
  }
  const { viewerType } = request;
  if (!(VIEWER_TYPES as readonly string[]).includes(viewerType)) {
    errors.push({
      field: 'viewerType',
      message: `device ${device.id} (VM) does not support viewer type ${viewerType}; supported: ${VIEWER_TYPES.join(', ')}`,
    });
  } else if (viewerType === 'WEBMKS' && !appliance.htmlConsole) {
    errors.push({
      field: 'viewerType',
      message: `WEBMKS needs the VMware HTML Console SDK, and appliance ${appliance.id} has no htmlConsole configured; use VMRC`,
    });
  } else if (!device.viewerTypes.includes(viewerType) && !(viewerType === 'WEBMKS' && device.type === 'VM')) {
    errors.push({
      field: 'viewerType',
      message: `device ${device.id} does not offer viewer type ${viewerType}; it offers: ${device.viewerTypes.join(', ') || 'none'}`,
    });
  }
  return errors;
}
