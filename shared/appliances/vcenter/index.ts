import { createHash } from 'node:crypto';
import { systemClock } from '../../clock.js';
import { InvalidInputError } from '../../errors.js';
import type { ApplianceProvider, Device, ProviderClient } from '../provider.js';
import { passwordCredentialsSchema } from '../schemas.js';
import { TICKET_TTL_MS, VcenterClient, type VmSummary } from './client.js';
import { webmksConsolePage } from './console-page.js';
import { listEveryVm } from './listing.js';
import {
  DEFAULT_SESSION_IDLE_MINUTES,
  type VcenterAppliance,
  type VcenterState,
  VIEWER_TYPES,
  type ViewerType,
  vcenterApplianceSchema,
  vcenterStateSchema,
} from './schemas.js';
import { validateViewerRequest } from './validate.js';

type Credentials = { username: string; password: string };

/** WEBMKS is offered on a powered-on VM of a vCenter whose HTML Console SDK location is configured. */
function toDevice(vm: VmSummary, webmks: boolean): Device {
  const on = vm.power_state === 'POWERED_ON';
  return {
    id: vm.vm,
    name: vm.name,
    type: 'VM',
    state: vm.power_state,
    connectionPaths: [],
    viewerTypes: on && webmks ? ['VMRC', 'WEBMKS'] : ['VMRC'],
  };
}

/** Tells sessions apart in logs and the store without revealing the session id itself. */
const sessionTag = (sessionId: string) => createHash('sha256').update(sessionId).digest('hex').slice(0, 16);

/** VMware vCenter (vSphere Automation `/api`, 7.0U2+): VM consoles as a `vmrc://` redirect or a WEBMKS page. */
export const vcenter: ApplianceProvider<VcenterAppliance, Credentials, VcenterState> = {
  kind: 'vcenter',
  title: 'VMware vCenter',
  viewerTypes: VIEWER_TYPES,
  viewerTypesOf: (appliance) => (appliance.htmlConsole ? VIEWER_TYPES : ['VMRC']),
  schemas: {
    appliance: vcenterApplianceSchema,
    credentials: passwordCredentialsSchema,
    state: vcenterStateSchema,
  },
  secretFields: ['password'],
  requestFields: {},
  client(appliance, transport): ProviderClient<Credentials, VcenterState> {
    const client = new VcenterClient(appliance.id, transport);
    const idleMs = (appliance.sessionIdleMinutes ?? DEFAULT_SESSION_IDLE_MINUTES) * 60_000;
    return {
      async login(credentials) {
        const sessionId = await client.login(credentials);
        // vCenter's timeout slides with every call, but the broker counts it from the login only: a session is
        // then renewed ahead of one idle period even when busy, and is never used after vCenter could have
        // dropped it, without rewriting the stored session on every call.
        return {
          id: sessionTag(sessionId),
          principal: credentials.username,
          expiresAt: systemClock() + idleMs,
          state: { sessionId },
        };
      },
      async listDevices(session, filter = {}) {
        if (filter.type !== undefined && filter.type !== 'VM') return { devices: [], complete: true };
        const listing = await listEveryVm(client, session.state.sessionId);
        const webmks = appliance.htmlConsole !== undefined;
        return { devices: listing.vms.map((vm) => toDevice(vm, webmks)), complete: listing.complete };
      },
      async launch(session, device, request) {
        const type = request.viewerType as ViewerType;
        // `validate` already refused this; checked again so no ticket is minted for a page that cannot load.
        const htmlConsole = appliance.htmlConsole;
        if (type === 'WEBMKS' && !htmlConsole) {
          throw new InvalidInputError(validateViewerRequest(device, appliance, request));
        }
        const ticket = await client.createTicket(session.state.sessionId, device.id, type);
        const expiresAt = systemClock() + TICKET_TTL_MS;
        const api = { ticket, launchUrl: ticket };
        // (`!htmlConsole` only narrows the type: WEBMKS without it was refused above.)
        if (type === 'VMRC' || !htmlConsole) return { kind: 'redirect', location: ticket, expiresAt, api };
        const page = webmksConsolePage({
          baseUrl: appliance.baseUrl,
          htmlConsole,
          vm: device,
          socketUrl: ticket,
        });
        return { kind: 'page', page, expiresAt, api };
      },
      async logout(session) {
        await client.logout(session.state.sessionId).catch(() => undefined);
      },
      close: () => transport.close(),
    };
  },
  validate: (device, appliance, request) => validateViewerRequest(device, appliance, request),
  fallbackUrl: (appliance) => new URL('/ui/', appliance.baseUrl).href,
};
