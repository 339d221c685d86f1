import type { ConfigFile } from '../../shared/config/file.js';
import {
  type DcvSimulator,
  type DcvSimulatorOptions,
  startDcvSimulator,
} from '../../simulators/dcv/simulator.js';
import {
  type PasswordSafeSimulator,
  type PasswordSafeSimulatorOptions,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import {
  startVcenterSimulator,
  type VcenterSimulator,
  type VcenterSimulatorOptions,
} from '../../simulators/vcenter/simulator.js';

/** One `appliances` entry of the broker's config file. */
export type ApplianceEntry = ConfigFile['appliances'][number];

/** Fields a test changes in an entry (id, name, htmlConsole, a wrong credential…); they override the defaults. */
type Overrides = Record<string, unknown>;

/** The entry pointing the broker at a simulator at `baseUrl`, trusting its certificate, with its credentials. */
function sourceAppliance(
  defaults: { id: string; name: string; kind: ApplianceEntry['kind'] },
  baseUrl: string,
  sim: { certPem: string; credentials: object },
  overrides: Overrides,
): ApplianceEntry {
  return {
    ...defaults,
    baseUrl,
    tls: { caPem: sim.certPem },
    credentials: { ...sim.credentials },
    ...overrides,
  } as ApplianceEntry;
}

export const vcenterAppliance = (sim: VcenterSimulator, overrides: Overrides = {}): ApplianceEntry =>
  sourceAppliance({ id: 'vc', name: 'vCenter', kind: 'vcenter' }, sim.url, sim, overrides);

export const dcvAppliance = (sim: DcvSimulator, overrides: Overrides = {}): ApplianceEntry =>
  sourceAppliance({ id: 'dcv', name: 'DCV', kind: 'dcv' }, sim.url, sim, overrides);

export const passwordSafeAppliance = (
  sim: PasswordSafeSimulator,
  overrides: Overrides = {},
): ApplianceEntry =>
  sourceAppliance({ id: 'pam', name: 'Password Safe', kind: 'password-safe' }, sim.baseUrl, sim, overrides);

export interface WaveTwoSourcesOptions {
  vcenter?: VcenterSimulatorOptions;
  dcv?: DcvSimulatorOptions;
  passwordSafe?: PasswordSafeSimulatorOptions;
}

export interface WaveTwoSources {
  vcenter: VcenterSimulator;
  dcv: DcvSimulator;
  passwordSafe: PasswordSafeSimulator;
  /** One config entry per source, with ids `vc`, `dcv` and `pam`. */
  appliances: ApplianceEntry[];
  close(): Promise<void>;
}

/**
 * The vCenter, DCV and Password Safe simulators on loopback, with every Password Safe account auto-approved:
 * a test that drives each kind through a ticket or a click must not wait on an approver.
 */
export async function startWaveTwoSources(options: WaveTwoSourcesOptions = {}): Promise<WaveTwoSources> {
  const loopback = { host: '127.0.0.1', port: 0 };
  const [vcenter, dcv, passwordSafe] = await Promise.all([
    startVcenterSimulator({ ...loopback, ...options.vcenter }),
    startDcvSimulator({ ...loopback, ...options.dcv }),
    startPasswordSafeSimulator({ ...loopback, ...options.passwordSafe }),
  ]);
  for (const account of passwordSafe.accounts) {
    passwordSafe.setApprovalRequired(`${account.systemId}.${account.accountId}`, false);
  }
  return {
    vcenter,
    dcv,
    passwordSafe,
    appliances: [vcenterAppliance(vcenter), dcvAppliance(dcv), passwordSafeAppliance(passwordSafe)],
    async close() {
      await Promise.all([vcenter.close(), dcv.close(), passwordSafe.close()]);
    },
  };
}
