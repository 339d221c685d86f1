import { VIEWER_TYPES, type ViewerType } from './schemas.js';

/** Every device type programmatic name the Viewer Session API documents. */
export const PROGRAMMATIC_NAMES = [
  'ADX-IP-IQ',
  'ADX-IP-UHD',
  'SERIAL-TARGET',
  'ACS',
  'ADX-IP-SERIAL-PORT',
  'VS-VIRTUAL-MACHINE',
] as const;
export type ProgrammaticName = (typeof PROGRAMMATIC_NAMES)[number];

const FIXED_VIEWER: Partial<Record<string, ViewerType>> = {
  'ADX-IP-IQ': 'KVM',
  'SERIAL-TARGET': 'SERIAL',
  ACS: 'SERIAL',
  'ADX-IP-SERIAL-PORT': 'SERIAL',
  'VS-VIRTUAL-MACHINE': 'VM',
};

const UHD_PATH_VIEWER: Partial<Record<string, ViewerType>> = {
  DCP_KVM_IP: 'KVM',
  DCP_SERIAL_IP: 'SERIAL',
};

/**
 * The viewer types a device supports, from the note's type table. An ADX-IP-UHD may list its paths in either
 * order, so every path counts (the vendor script's `[0]` does not); unknown path types are ignored.
 */
export function viewerTypesFor(type: string, connectionPaths: readonly string[]): ViewerType[] {
  const found = new Set<ViewerType>();
  const fixed = FIXED_VIEWER[type];
  if (fixed) found.add(fixed);
  if (type === 'ADX-IP-UHD') {
    for (const path of connectionPaths) {
      const viewer = UHD_PATH_VIEWER[path];
      if (viewer) found.add(viewer);
    }
  }
  return VIEWER_TYPES.filter((viewer) => found.has(viewer));
}
