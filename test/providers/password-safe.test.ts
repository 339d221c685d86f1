import {
  type PasswordSafeSimulator,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import { describeProvider } from './contract.js';

describeProvider<PasswordSafeSimulator>({
  kind: 'password-safe',
  start: () => startPasswordSafeSimulator(),
  appliance: (sim) => ({
    name: 'Contract Password Safe',
    kind: 'password-safe',
    baseUrl: sim.baseUrl,
    tls: { caPem: sim.certPem },
    credentials: { ...sim.credentials } as { apiKey: string; runAs: string },
  }),
  // WIN-DC01\Administrator and web-01\deploy release at once; WIN-DC01\svc-backup waits for an approver.
  launches: () => [
    { deviceId: '1.11', request: { viewerType: 'RDP' }, expect: 'download' },
    { deviceId: '3.32', request: { viewerType: 'SSH' }, expect: 'page' },
    { deviceId: '1.12', request: { viewerType: 'RDP' }, expect: 'pending' },
  ],
});
