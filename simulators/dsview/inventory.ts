import { createHash } from 'node:crypto';

/** One target device as the appliance lists it under `GET /api/v1/devices` (the subset the note documents). */
export interface SimDevice {
  id: string;
  device_name: string;
  device_type_programmatic_name: string;
  connection_path_info?: { path_type: string }[];
}

/** Every target device programmatic name the vendor note lists, in the note's table order. */
export const PROGRAMMATIC_NAMES = [
  'ADX-IP-IQ',
  'ADX-IP-UHD',
  'SERIAL-TARGET',
  'ACS',
  'ADX-IP-SERIAL-PORT',
  'VS-VIRTUAL-MACHINE',
] as const;

/** A programmatic name from the note's table. */
export type ProgrammaticName = (typeof PROGRAMMATIC_NAMES)[number];

/** The `viewerType` values the launch URL accepts. */
export type ViewerType = 'KVM' | 'SERIAL' | 'VM';

/** Viewer types a device supports: IPUHD by any of its connection paths (not just the first), the rest by type. */
export function supportedViewerTypes(device: SimDevice): ViewerType[] {
  switch (device.device_type_programmatic_name) {
    case 'ADX-IP-IQ':
      return ['KVM'];
    case 'ADX-IP-UHD': {
      const paths = new Set((device.connection_path_info ?? []).map((path) => path.path_type));
      const types: ViewerType[] = [];
      if (paths.has('DCP_KVM_IP')) types.push('KVM');
      if (paths.has('DCP_SERIAL_IP')) types.push('SERIAL');
      return types;
    }
    case 'SERIAL-TARGET':
    case 'ACS':
    case 'ADX-IP-SERIAL-PORT':
      return ['SERIAL'];
    case 'VS-VIRTUAL-MACHINE':
      return ['VM'];
    default:
      return [];
  }
}

/** A UUID-v4-shaped id derived from `key`, so inventories are identical across runs and processes. */
export function deterministicUuid(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Shape {
  type: ProgrammaticName;
  paths?: string[];
  roles: string[];
  label: string;
}

/**
 * The device shapes worth testing against. The path lists vary on purpose (absent, empty, unknown entries, both
 * IPUHD orders) because the note only documents paths for IPUHD and a client must not depend on the rest.
 */
const SHAPES: Shape[] = [
  { type: 'ADX-IP-IQ', paths: ['DCP_KVM_IP'], roles: ['web', 'app'], label: 'KVM' },
  { type: 'ADX-IP-IQ', roles: ['db', 'cache'], label: 'KVM' },
  { type: 'ADX-IP-UHD', paths: ['DCP_KVM_IP'], roles: ['gpu', 'render'], label: '4K KVM' },
  { type: 'ADX-IP-UHD', paths: ['DCP_SERIAL_IP'], roles: ['core-sw', 'tor-sw'], label: 'console' },
  { type: 'ADX-IP-UHD', paths: ['DCP_KVM_IP', 'DCP_SERIAL_IP'], roles: ['esx', 'kvmhost'], label: '4K' },
  { type: 'ADX-IP-UHD', paths: ['DCP_SERIAL_IP', 'DCP_KVM_IP'], roles: ['fw', 'lb'], label: '4K' },
  { type: 'SERIAL-TARGET', paths: ['DCP_SERIAL_IP'], roles: ['rtr', 'spine'], label: 'console' },
  { type: 'ACS', paths: [], roles: ['acs8048-', 'acs8032-'], label: 'appliance' },
  { type: 'ADX-IP-SERIAL-PORT', paths: ['DCP_SERIAL_IP'], roles: ['pdu', 'ups'], label: 'serial' },
  { type: 'VS-VIRTUAL-MACHINE', roles: ['vm-jump', 'vm-build'], label: 'VM' },
  { type: 'ADX-IP-IQ', paths: ['DCP_FUTURE_PATH', 'DCP_KVM_IP'], roles: ['storage', 'backup'], label: 'KVM' },
];

function makeDevice(id: string, name: string, shape: Shape): SimDevice {
  const device: SimDevice = { id, device_name: name, device_type_programmatic_name: shape.type };
  if (shape.paths) device.connection_path_info = shape.paths.map((path_type) => ({ path_type }));
  return device;
}

const STANDARD_NAMES = [
  'rack12-web01 KVM',
  'rack12-db02 KVM',
  'rack14-gpu01 4K KVM',
  'rack14-core-sw01 console',
  'rack15-esx03 4K',
  'rack15-fw01 4K',
  'rack20-core-rtr01 console',
  'row3-acs8048-01',
  'rack21-pdu02 serial',
  'vm-jumphost01',
  'rack16-storage01 KVM',
];

/** The fixed 11-device inventory covering every type and path layout; ids are stable across runs. */
export function standardInventory(): SimDevice[] {
  return SHAPES.map((shape, index) => {
    const name = STANDARD_NAMES[index] ?? `device${index}`;
    return makeDevice(deterministicUuid(`standard/${name}`), name, shape);
  });
}

/** `count` devices cycling through every shape, with unique names; `seed` changes the ids only. */
export function generatedInventory(count: number, seed = 'default'): SimDevice[] {
  const devices: SimDevice[] = [];
  for (let index = 0; index < count; index++) {
    const shape = SHAPES[index % SHAPES.length] as Shape;
    const role = shape.roles[Math.floor(index / SHAPES.length) % shape.roles.length] ?? 'host';
    const rack = String(Math.floor(index / 24) + 1).padStart(3, '0');
    const name = `rack${rack}-${role}${String(index + 1).padStart(5, '0')} ${shape.label}`;
    devices.push(makeDevice(deterministicUuid(`${seed}/${index}`), name, shape));
  }
  return devices;
}
