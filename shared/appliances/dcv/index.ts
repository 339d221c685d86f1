import type { FieldError } from '../../errors.js';
import * as z from '../../zod.js';
import type { ApplianceProvider, Device, ProviderClient, ViewerRequest } from '../provider.js';
import { DcvClient } from './client.js';
import { connectionUrl, DCV_DEFAULT_PORT } from './connection-url.js';
import {
  DCV_USER_NAME,
  type DcvAppliance,
  type DcvCredentials,
  type DcvState,
  dcvApplianceSchema,
  dcvCredentialsSchema,
  dcvStateSchema,
  dcvUserSchema,
  VIEWER_TYPES,
} from './schemas.js';

/** The launch fields of other kinds, refused here by name. */
const FOREIGN_FIELDS = ['sharingMode', 'mouseMode'] as const;

/**
 * Rules that need no source call. A session listed as not READY is not refused here: the listing may be
 * stale, so the launch asks the Session Manager and answers 409 naming the state (or opens it, now READY).
 */
function validate(device: Device, request: ViewerRequest): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of FOREIGN_FIELDS) {
    if (request[field] !== undefined) {
      errors.push({ field, message: `${field} applies to dsview appliances only` });
    }
  }
  const listedNotReady = device.state !== undefined && device.state !== 'READY';
  if (!(VIEWER_TYPES as readonly string[]).includes(request.viewerType)) {
    errors.push({
      field: 'viewerType',
      message: `a DCV session opens as ${VIEWER_TYPES.join(' or ')}, not ${request.viewerType}`,
    });
  } else if (!device.viewerTypes.includes(request.viewerType) && !listedNotReady) {
    errors.push({ field: 'viewerType', message: `device ${device.id} offers no ${request.viewerType} now` });
  }
  if (request.user !== undefined && !DCV_USER_NAME.test(request.user)) {
    errors.push({ field: 'user', message: 'must be a DCV user name: letters, digits, . _ - @ \\, 1-64' });
  }
  return errors;
}

/**
 * Without a token the web client asks for a login. The gateway when there is one; otherwise the Session
 * Manager's host on DCV's default port, since the fallback knows no session's server.
 */
function fallbackUrl(appliance: DcvAppliance, device: { id: string }): string {
  const { gateway } = appliance;
  const host = new URL(appliance.baseUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  const address = gateway
    ? { host: gateway.host, port: gateway.port, webUrlPath: '/' }
    : { host, port: DCV_DEFAULT_PORT, webUrlPath: '/' };
  return connectionUrl('https', address, device.id);
}

/** NICE DCV Session Manager: a connection token per click, 302 to the session's web client (or `dcv://`). */
export const dcv: ApplianceProvider<DcvAppliance, DcvCredentials, DcvState> = {
  kind: 'dcv',
  title: 'NICE DCV Session Manager',
  viewerTypes: VIEWER_TYPES,
  schemas: {
    appliance: dcvApplianceSchema,
    credentials: dcvCredentialsSchema,
    state: dcvStateSchema,
  },
  secretFields: ['clientSecret'],
  requestFields: {
    user: z
      .optional(dcvUserSchema)
      .check(
        z.describe(
          "dcv only: the DCV user the connection token is minted for (default: the appliance's connectAs, else the session owner); recorded in audit",
        ),
      ),
  },
  client(appliance, transport): ProviderClient<DcvCredentials, DcvState> {
    const client = new DcvClient({ appliance, transport });
    return {
      login: (credentials) => client.login(credentials),
      listDevices: (session, filter = {}) => client.listDevices(session.state, filter),
      launch: (session, device, request) => client.launch(session.state, device, request),
      close: () => client.close(),
    };
  },
  validate: (device, _appliance, request) => validate(device, request),
  fallbackUrl: (appliance, device) => fallbackUrl(appliance, device),
};
