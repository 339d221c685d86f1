import { describe, expect, it } from 'vitest';
import type { DsviewAppliance as Appliance } from '../../shared/appliances/dsview/schemas.js';
import { compareVersions, validateViewerRequest } from '../../shared/appliances/dsview/validate.js';
import type { Device, ViewerRequest } from '../../shared/appliances/provider.js';

type Target = Pick<Appliance, 'platform' | 'firmwareVersion'>;

const iq: Device = {
  id: 'dev-iq',
  name: 'rack12-web01 KVM',
  type: 'ADX-IP-IQ',
  connectionPaths: ['DCP_KVM_IP'],
  viewerTypes: ['KVM'],
};
const uhd: Device = {
  id: 'dev-uhd',
  name: 'rack15-esx03 4K',
  type: 'ADX-IP-UHD',
  connectionPaths: ['DCP_SERIAL_IP', 'DCP_KVM_IP'],
  viewerTypes: ['KVM', 'SERIAL'],
};
const serial: Device = {
  id: 'dev-serial',
  name: 'rack20-core-rtr01 console',
  type: 'SERIAL-TARGET',
  connectionPaths: ['DCP_SERIAL_IP'],
  viewerTypes: ['SERIAL'],
};
const vm: Device = {
  id: 'dev-vm',
  name: 'vm-jumphost01',
  type: 'VS-VIRTUAL-MACHINE',
  connectionPaths: [],
  viewerTypes: ['VM'],
};
const none: Device = {
  id: 'dev-none',
  name: 'odd',
  type: 'ADX-IP-UHD',
  connectionPaths: [],
  viewerTypes: [],
};

const mp1000: Target = { platform: 'MP1000', firmwareVersion: '3.33.8' };

function fields(device: Device, request: ViewerRequest, appliance: Target = mp1000): string[] {
  return validateViewerRequest(device, appliance, request).map((error) => error.field);
}

describe('validateViewerRequest', () => {
  it('accepts a plain request for a supported viewer type', () => {
    expect(validateViewerRequest(iq, mp1000, { viewerType: 'KVM' })).toEqual([]);
    expect(validateViewerRequest(serial, mp1000, { viewerType: 'SERIAL' })).toEqual([]);
    expect(validateViewerRequest(vm, mp1000, { viewerType: 'VM' })).toEqual([]);
    expect(validateViewerRequest(uhd, mp1000, { viewerType: 'SERIAL' })).toEqual([]);
  });

  it('accepts undefined modes like absent ones', () => {
    expect(fields(serial, { viewerType: 'SERIAL', sharingMode: undefined, mouseMode: undefined })).toEqual(
      [],
    );
  });

  describe('viewerType must be one the device supports', () => {
    it('names the field, the device and what it supports', () => {
      const errors = validateViewerRequest(iq, mp1000, { viewerType: 'SERIAL' });
      expect(errors).toHaveLength(1);
      expect(errors[0]?.field).toBe('viewerType');
      expect(errors[0]?.message).toContain('dev-iq');
      expect(errors[0]?.message).toContain('supported: KVM');
    });

    it('says "none" for a device with no viewer', () => {
      const [error] = validateViewerRequest(none, mp1000, { viewerType: 'KVM' });
      expect(error?.field).toBe('viewerType');
      expect(error?.message).toContain('supported: none');
    });

    it.each([
      [vm, 'KVM'],
      [vm, 'SERIAL'],
      [serial, 'KVM'],
      [serial, 'VM'],
      [uhd, 'VM'],
    ] as const)('$0.type rejects $1', (device, viewerType) => {
      expect(fields(device, { viewerType })).toEqual(['viewerType']);
    });
  });

  describe('sharingMode is KVM-only', () => {
    it.each(['ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH', 'STANDALONE_PASSIVE'] as const)(
      'accepts %s on KVM',
      (sharingMode) => {
        expect(fields(iq, { viewerType: 'KVM', sharingMode })).toEqual([]);
      },
    );

    it('rejects any sharing mode on SERIAL or VM', () => {
      expect(fields(serial, { viewerType: 'SERIAL', sharingMode: 'ACTIVE' })).toEqual(['sharingMode']);
      expect(fields(vm, { viewerType: 'VM', sharingMode: 'PASSIVE' })).toEqual(['sharingMode']);
      expect(fields(uhd, { viewerType: 'SERIAL', sharingMode: 'STEALTH' })).toEqual(['sharingMode']);
    });

    it('a KVM-only complaint replaces the firmware one for STANDALONE_PASSIVE on a serial session', () => {
      const errors = validateViewerRequest(
        serial,
        { platform: 'RM1048P', firmwareVersion: '1.0' },
        {
          viewerType: 'SERIAL',
          sharingMode: 'STANDALONE_PASSIVE',
        },
      );
      expect(errors).toEqual([{ field: 'sharingMode', message: 'sharingMode applies to KVM sessions only' }]);
    });
  });

  describe('STANDALONE_PASSIVE needs API v1.1: MP1000/MP1000VA at 3.33.8 or later', () => {
    it.each([
      ['MP1000', '3.33.8'],
      ['MP1000', '3.33.10'],
      ['MP1000', '3.34'],
      ['MP1000', '4.0.0'],
      ['MP1000VA', '3.33.8'],
      ['MP1000VA', '3.33.8.1'],
    ] as const)('accepts %s %s', (platform, firmwareVersion) => {
      expect(
        fields(iq, { viewerType: 'KVM', sharingMode: 'STANDALONE_PASSIVE' }, { platform, firmwareVersion }),
      ).toEqual([]);
    });

    it.each([
      ['MP1000', '3.33.7'],
      ['MP1000', '3.9.99'],
      ['MP1000', '2.40.0'],
      ['MP1000VA', '3.33.7'],
      ['RM1048P', '3.33.8'],
      ['RM1048P', '9.0.0'],
    ] as const)('rejects %s %s', (platform, firmwareVersion) => {
      const errors = validateViewerRequest(
        iq,
        { platform, firmwareVersion },
        {
          viewerType: 'KVM',
          sharingMode: 'STANDALONE_PASSIVE',
        },
      );
      expect(errors.map((error) => error.field)).toEqual(['sharingMode']);
      expect(errors[0]?.message).toContain(`${platform} ${firmwareVersion}`);
    });

    it('the other sharing modes need no particular firmware', () => {
      const old: Target = { platform: 'RM1048P', firmwareVersion: '1.0.0' };
      for (const sharingMode of ['ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH'] as const) {
        expect(fields(iq, { viewerType: 'KVM', sharingMode }, old)).toEqual([]);
      }
    });
  });

  describe('mouseMode is KVM-only, and 2 is ADX-IP-UHD-only', () => {
    it('accepts 0 and 1 on any KVM device, 2 on ADX-IP-UHD', () => {
      expect(fields(iq, { viewerType: 'KVM', mouseMode: 0 })).toEqual([]);
      expect(fields(iq, { viewerType: 'KVM', mouseMode: 1 })).toEqual([]);
      expect(fields(uhd, { viewerType: 'KVM', mouseMode: 0 })).toEqual([]);
      expect(fields(uhd, { viewerType: 'KVM', mouseMode: 2 })).toEqual([]);
    });

    it('rejects 2 on a device that is not ADX-IP-UHD', () => {
      const errors = validateViewerRequest(iq, mp1000, { viewerType: 'KVM', mouseMode: 2 });
      expect(errors).toEqual([
        { field: 'mouseMode', message: 'mouseMode 2 applies to ADX-IP-UHD devices only' },
      ]);
    });

    it('rejects any mouse mode on SERIAL or VM', () => {
      expect(fields(serial, { viewerType: 'SERIAL', mouseMode: 0 })).toEqual(['mouseMode']);
      expect(fields(vm, { viewerType: 'VM', mouseMode: 1 })).toEqual(['mouseMode']);
      expect(validateViewerRequest(uhd, mp1000, { viewerType: 'SERIAL', mouseMode: 2 })).toEqual([
        { field: 'mouseMode', message: 'mouseMode applies to KVM sessions only' },
      ]);
    });
  });

  it('reports every violated rule at once, one error per field', () => {
    // A VM device asked for KVM: only the viewer type is wrong; the modes are legal for a KVM request
    // except mouseMode 2, which is ADX-IP-UHD-only.
    expect(fields(vm, { viewerType: 'KVM', sharingMode: 'ACTIVE', mouseMode: 2 })).toEqual([
      'viewerType',
      'mouseMode',
    ]);
    expect(
      fields(
        iq,
        { viewerType: 'KVM', sharingMode: 'STANDALONE_PASSIVE', mouseMode: 2 },
        { platform: 'RM1048P', firmwareVersion: '3.40' },
      ),
    ).toEqual(['sharingMode', 'mouseMode']);
    expect(fields(serial, { viewerType: 'VM', sharingMode: 'ACTIVE', mouseMode: 0 })).toEqual([
      'viewerType',
      'sharingMode',
      'mouseMode',
    ]);
  });

  it('every error has a non-empty message', () => {
    for (const error of validateViewerRequest(serial, mp1000, {
      viewerType: 'KVM',
      sharingMode: 'ACTIVE',
      mouseMode: 2,
    })) {
      expect(error.message.length).toBeGreaterThan(10);
    }
  });
});

describe('compareVersions', () => {
  it.each([
    ['3.33.8', '3.33.8', 0],
    ['3.33.10', '3.33.8', 1],
    ['3.33.8', '3.33.10', -1],
    ['3.34', '3.33.8', 1],
    ['3.33', '3.33.8', -1],
    ['3.33.8.0', '3.33.8', 0],
    ['3.33.8', '3.33.8.0', 0],
    ['4', '3.99.99', 1],
    ['10.0.0', '9.0.0', 1],
    ['3.33.7', '3.33.8', -1],
    ['', '0', 0],
    ['3.33.8-beta', '3.33.8', 0],
  ] as const)('compareVersions(%j, %j) = %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(expected === 0 ? 0 : -expected);
  });

  it('returns only -1, 0 or 1', () => {
    expect(compareVersions('1.100', '1.1')).toBe(1);
    expect(compareVersions('1.1', '1.100')).toBe(-1);
  });

  it('treats non-numeric parts as 0 rather than NaN', () => {
    expect(compareVersions('x.y', '0.0')).toBe(0);
    expect(compareVersions('3.x', '3.0')).toBe(0);
  });
});
