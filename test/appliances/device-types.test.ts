import { describe, expect, it } from 'vitest';
import { PROGRAMMATIC_NAMES, viewerTypesFor } from '../../shared/appliances/dsview/device-types.js';
import { standardInventory, supportedViewerTypes } from '../../simulators/dsview/simulator.js';

describe('viewerTypesFor', () => {
  it.each([
    ['ADX-IP-IQ', [], ['KVM']],
    ['ADX-IP-IQ', ['DCP_KVM_IP'], ['KVM']],
    ['SERIAL-TARGET', [], ['SERIAL']],
    ['SERIAL-TARGET', ['DCP_SERIAL_IP'], ['SERIAL']],
    ['ACS', [], ['SERIAL']],
    ['ADX-IP-SERIAL-PORT', ['DCP_SERIAL_IP'], ['SERIAL']],
    ['VS-VIRTUAL-MACHINE', [], ['VM']],
  ] as const)('%s with paths %j → %j (by type)', (type, paths, expected) => {
    expect(viewerTypesFor(type, paths)).toEqual(expected);
  });

  it('ADX-IP-UHD takes its viewer types from its connection paths', () => {
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_KVM_IP'])).toEqual(['KVM']);
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_SERIAL_IP'])).toEqual(['SERIAL']);
    expect(viewerTypesFor('ADX-IP-UHD', [])).toEqual([]);
  });

  it('ADX-IP-UHD with both paths offers both, whichever comes first', () => {
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_KVM_IP', 'DCP_SERIAL_IP'])).toEqual(['KVM', 'SERIAL']);
    // The vendor script reads only connection_path_info[0]; the serial path first must not hide KVM.
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_SERIAL_IP', 'DCP_KVM_IP'])).toEqual(['KVM', 'SERIAL']);
  });

  it('ignores unknown path types', () => {
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_FUTURE_PATH'])).toEqual([]);
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_FUTURE_PATH', 'DCP_SERIAL_IP'])).toEqual(['SERIAL']);
    expect(viewerTypesFor('ADX-IP-IQ', ['DCP_FUTURE_PATH', 'DCP_KVM_IP'])).toEqual(['KVM']);
    expect(viewerTypesFor('VS-VIRTUAL-MACHINE', ['DCP_FUTURE_PATH'])).toEqual(['VM']);
  });

  it('paths only matter for ADX-IP-UHD, and duplicates do not repeat a type', () => {
    expect(viewerTypesFor('ADX-IP-IQ', ['DCP_SERIAL_IP'])).toEqual(['KVM']);
    expect(viewerTypesFor('SERIAL-TARGET', ['DCP_KVM_IP'])).toEqual(['SERIAL']);
    expect(viewerTypesFor('ADX-IP-UHD', ['DCP_KVM_IP', 'DCP_KVM_IP'])).toEqual(['KVM']);
  });

  it('an unknown device type supports no viewer', () => {
    expect(viewerTypesFor('ADX-FUTURE', ['DCP_KVM_IP'])).toEqual([]);
    expect(viewerTypesFor('adx-ip-iq', [])).toEqual([]);
  });

  it('knows every programmatic name of the note', () => {
    expect([...PROGRAMMATIC_NAMES].sort()).toEqual(
      ['ACS', 'ADX-IP-IQ', 'ADX-IP-SERIAL-PORT', 'ADX-IP-UHD', 'SERIAL-TARGET', 'VS-VIRTUAL-MACHINE'].sort(),
    );
    for (const type of PROGRAMMATIC_NAMES) {
      if (type !== 'ADX-IP-UHD') expect(viewerTypesFor(type, [])).toHaveLength(1);
    }
  });

  it('agrees with the simulator on every device of its standard inventory', () => {
    for (const device of standardInventory()) {
      const paths = (device.connection_path_info ?? []).map((path) => path.path_type);
      expect(viewerTypesFor(device.device_type_programmatic_name, paths), device.device_name).toEqual(
        supportedViewerTypes(device),
      );
    }
  });
});
