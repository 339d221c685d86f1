import * as z from '../../zod.js';
import type { ApplianceProvider, ProviderClient, ProviderSession } from '../provider.js';
import { passwordCredentialsSchema } from '../schemas.js';
import { DsviewClient, type DsviewSession } from './client.js';
import { launchUrl } from './launch-url.js';
import {
  type DsviewAppliance,
  dsviewApplianceSchema,
  dsviewStateSchema,
  MOUSE_MODES,
  SHARING_MODES,
  VIEWER_TYPES,
} from './schemas.js';
import { validateViewerRequest } from './validate.js';

type Credentials = { username: string; password: string };
type State = { jwt: string };

const toDsview = (session: ProviderSession<State>): DsviewSession => ({
  userSessionId: session.id,
  username: session.principal,
  jwt: session.state.jwt,
  expiresAt: session.expiresAt,
});

/** Vertiv Avocent DSView (MP1000, MP1000VA, RM1048P): a ticket per click, 302 to the launchUI URL. */
export const dsview: ApplianceProvider<DsviewAppliance, Credentials, State> = {
  kind: 'dsview',
  title: 'Vertiv Avocent DSView',
  viewerTypes: VIEWER_TYPES,
  schemas: {
    appliance: dsviewApplianceSchema,
    credentials: passwordCredentialsSchema,
    state: dsviewStateSchema,
  },
  secretFields: ['password'],
  requestFields: {
    sharingMode: z
      .optional(z.enum(SHARING_MODES))
      .check(z.describe('dsview, KVM only; STANDALONE_PASSIVE needs an MP1000/MP1000VA at firmware 3.33.8+')),
    mouseMode: z
      .optional(z.union(MOUSE_MODES.map((mode) => z.literal(mode))))
      .check(z.describe('dsview, KVM only; 2 on ADX-IP-UHD devices only')),
  },
  client(appliance, transport): ProviderClient<Credentials, State> {
    const client = new DsviewClient({ appliance, transport });
    return {
      async login(credentials) {
        const session = await client.login(credentials);
        return {
          id: session.userSessionId,
          principal: session.username,
          expiresAt: session.expiresAt,
          state: { jwt: session.jwt },
        };
      },
      async listDevices(session, filter = {}) {
        const devices = await client.listDevices(
          toDsview(session),
          filter.type ? { types: [filter.type] } : {},
        );
        return { devices, complete: !filter.type };
      },
      async launch(session, device, request) {
        const { ticket, expiresAt } = await client.createTicket(toDsview(session));
        const location = launchUrl({ baseUrl: appliance.baseUrl, deviceId: device.id, ...request, ticket });
        return { kind: 'redirect', location, expiresAt, api: { ticket, launchUrl: location } };
      },
      close: () => client.close(),
    };
  },
  validate: (device, appliance, request) => validateViewerRequest(device, appliance, request),
  fallbackUrl: (appliance, device, request) =>
    launchUrl({
      baseUrl: appliance.baseUrl,
      deviceId: device.id,
      viewerType: request.viewerType,
      sharingMode: request.sharingMode,
      mouseMode: request.mouseMode,
    }),
};
