/**
 * Setup pieces the bench and `scripts/soak.ts` share. No side effects and type-only imports, so a script can
 * import this before it sets the environment the broker modules read when they load.
 */
import type { ConfigFile } from '../../shared/config/file.js';
import type { SimDevice } from '../../simulators/dsview/inventory.js';

/** The delay the simulated appliances add to every answer (their network latency) in cases 1-5 and 7. */
export const LATENCY_MS = 40;

/** Settings every bench broker runs with: no client rate limit, since the bench is one client. */
export const BENCH_BROKER_ENV = {
  CLIENT_RATE_LIMIT_PER_MINUTE: '100000000',
  LAUNCH_FAILURES_PER_MINUTE: '100000000',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Appliance config for a simulator: pinned by its CA certificate, as an operator would configure it. */
export function applianceFor(
  id: string,
  sim: Pick<SimInfo, 'url' | 'username' | 'password' | 'certPem'>,
): ConfigFile['appliances'][number] {
  return {
    id,
    name: `Bench ${id}`,
    kind: 'dsview',
    baseUrl: sim.url,
    platform: 'MP1000',
    firmwareVersion: '3.33.8',
    credentials: { username: sim.username, password: sim.password },
    tls: { caPem: sim.certPem },
  };
}

/** A device of the simulator that takes KVM sessions (an ADX-IP-IQ). */
export function kvmDeviceOf(sim: { devices: readonly SimDevice[] }): string | undefined {
  return sim.devices.find((d) => d.device_type_programmatic_name === 'ADX-IP-IQ')?.id;
}

/** What a simulator host tells the bench about each simulator it runs. */
export interface SimInfo {
  url: string;
  username: string;
  password: string;
  certPem: string;
  /** A device that takes KVM sessions. */
  kvmDevice: string;
}
