import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { type ContractSimulator, describeProvider } from './contract.js';

/** The DSView simulator with the contract's view of it: issued JWTs and tickets are what must never leak. */
async function start(): Promise<DsviewSimulator & ContractSimulator> {
  const sim = await startDsviewSimulator({ deviceCount: 12 });
  const issued: string[] = [];
  return Object.assign(sim, {
    secretsIssued: () => [...issued, sim.password],
  });
}

describeProvider({
  kind: 'dsview',
  start,
  appliance: (sim) => ({
    name: 'Contract DSView',
    kind: 'dsview',
    baseUrl: sim.url,
    platform: 'MP1000',
    firmwareVersion: '3.33.8',
    tls: { caPem: sim.certPem },
    credentials: { username: sim.username, password: sim.password },
  }),
  launches: (devices) =>
    (['KVM', 'SERIAL', 'VM'] as const).map((viewerType) => {
      const device = devices.find((candidate) => candidate.viewerTypes.includes(viewerType));
      return {
        deviceId: device?.id ?? `no ${viewerType} device`,
        request: { viewerType },
        expect: 'redirect',
      };
    }),
  endpoint: (name) => ({ login: 'login', list: 'devices', launch: 'ticket' })[name],
});
