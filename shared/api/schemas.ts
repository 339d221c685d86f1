import { ALL_VIEWER_TYPES, KINDS, LAUNCH_FIELDS, PROVIDERS } from '../appliances/providers.js';
import { idSchema } from '../appliances/schemas.js';
import { AUDIT_OUTCOMES } from '../audit/audit-log.js';
import * as z from '../zod.js';

/**
 * The public contract's request and response shapes. The same schemas validate requests and generate the
 * OpenAPI document, so the two cannot drift.
 */
export const applianceIdParam = idSchema.check(z.describe('Registered appliance id'));
export const deviceIdParam = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^[A-Za-z0-9._:-]+$/, 'must be a device id as the appliance reports it'),
    z.describe('Device id as the appliance reports it'),
  );

export const viewerTypeSchema = z
  .enum(ALL_VIEWER_TYPES)
  .check(
    z.describe(
      `What to open; must be one the device supports. By kind: ${PROVIDERS.map((p) => `${p.kind}: ${p.viewerTypes.join(', ')}`).join('; ')}`,
    ),
  );
export const kindSchema = z.enum(KINDS).check(z.describe('The console source kind'));
/** A programmatic device type: letters, digits, `_` and `-`, so it can never smuggle a filter expression. */
const deviceTypeSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Z0-9][A-Z0-9_-]{0,63}$/,
      'must be a programmatic name: A-Z, 0-9, _ and -, up to 64 characters',
    ),
    z.describe('Device type programmatic name, e.g. ADX-IP-IQ, VM, VIRTUAL'),
  );
const reasonSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(200),
    z.regex(/^[\x20-\x7E\u00A0-\uFFFF]+$/, 'must be 1-200 printable characters'),
    z.describe("Why, e.g. the ticketing system's incident number; recorded on every audit event"),
  );

/**
 * A device as the API shows it. The fields are shared with the inventory's device by spreading, not by
 * `z.extend`: extending would carry the `Device` id check along into `InventoryDevice`.
 */
const deviceFields = {
  id: z.string(),
  name: z.string(),
  type: z.string().check(z.describe('Device type, e.g. ADX-IP-IQ (dsview), VM (vcenter), VIRTUAL (dcv)')),
  connectionPaths: z.array(z.string()),
  viewerTypes: z.array(z.string()).check(z.describe('What can be opened now')),
  state: z.optional(z.string()).check(z.describe('Where the source has one: POWERED_ON, READY, …')),
  owner: z.optional(z.string()),
  tags: z.optional(z.record(z.string(), z.string())),
};
export const deviceSchema = z.object(deviceFields).check(z.meta({ id: 'Device' }));

export const problemSchema = z
  .object({
    type: z.string().check(z.describe('URI identifying the problem case')),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  })
  .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details' }));

export const healthResponse = z.object({ status: z.literal('ok') });

export const applianceParams = z.strictObject({ applianceId: applianceIdParam });
export const deviceParams = z.strictObject({ applianceId: applianceIdParam, deviceId: deviceIdParam });

export const loginResponse = z.object({
  applianceId: z.string(),
  userSessionId: z
    .string()
    .check(z.describe("The source's session id (DSView) or a non-secret reference to it")),
  username: z.string().check(z.describe('Who the broker is signed in as')),
  expiresAt: z.iso.datetime(),
  reused: z
    .boolean()
    .check(z.describe('true when an existing appliance session was valid and no login was needed')),
});

export const liveDevicesQuery = z.strictObject({
  type: z.optional(deviceTypeSchema),
  name: z
    .optional(z.string().check(z.minLength(1), z.maxLength(200)))
    .check(z.describe('Case-insensitive substring of the device name')),
});
export const devicesResponse = z.object({ devices: z.array(deviceSchema) });

export const viewerRequestBody = z.strictObject({
  viewerType: viewerTypeSchema,
  ...LAUNCH_FIELDS,
  reason: z.optional(reasonSchema),
});
/** dsview, vcenter, dcv: the credential and the URL that opens the console with it, both short-lived. */
const consoleTicket = z
  .object({
    ticket: z
      .string()
      .check(
        z.describe(
          'The one-time credential: a DSView ticket (20 s), a vCenter ticket URI, a DCV connection token',
        ),
      ),
    launchUrl: z.string().check(z.describe('What opens the console with the ticket')),
    expiresAt: z.iso.datetime(),
  })
  .check(z.meta({ id: 'ConsoleTicket' }));
/** password-safe: what the session call returned, to connect through the session proxy. */
const sessionTicket = z
  .object({
    ticket: z.string().check(z.describe('The session proxy credential')),
    host: z.string().check(z.describe('The session proxy host')),
    port: z.int().check(z.describe('The session proxy port')),
    launchUrl: z.optional(z.string()).check(z.describe('An ssh:// or rdp link, where the source has one')),
    command: z.optional(z.string()).check(z.describe('SSH: the command to run')),
    rdpFile: z.optional(z.string()).check(z.describe('RDP: the .rdp file text')),
    expiresAt: z
      .optional(z.iso.datetime())
      .check(z.describe('When the access request ends (an extension of the contract)')),
  })
  .check(z.meta({ id: 'SessionTicket' }));
export const ticketResponse = z.union([consoleTicket, sessionTicket]).check(z.meta({ id: 'Ticket' }));
export const pendingResponse = z
  .object({
    status: z.literal('pending-approval'),
    requestId: z.string(),
    retryAfterSeconds: z.int(),
  })
  .check(z.meta({ id: 'PendingApproval' }));

export const createLinkBody = z.strictObject({
  applianceId: applianceIdParam,
  deviceId: deviceIdParam,
  viewerType: viewerTypeSchema,
  ...LAUNCH_FIELDS,
  reason: z.optional(reasonSchema),
  ttlSeconds: z
    .optional(z.int().check(z.minimum(1)))
    .check(z.describe('Link lifetime; default 24 h, capped (7 days by default)')),
  singleUse: z.optional(z.boolean()).check(z.describe('When true the link opens the console once')),
  confirm: z
    .optional(z.boolean())
    .check(
      z.describe(
        'When true a click shows a page with an "Open console" button and uses nothing up; the button opens the console (mail scanners and chat previews fetch links but never press it). Default: the deployment\'s LINK_CONFIRM_DEFAULT (never, single-use or always; never unless set)',
      ),
    ),
});
export const linkResponse = z.object({
  id: z.string(),
  url: z.url(),
  expiresAt: z.iso.datetime(),
  singleUse: z.boolean(),
  confirm: z.boolean().check(z.describe('Whether a click asks for a button press first')),
});
const linkIdSchema = z
  .string()
  .check(z.regex(/^lnk_[A-Za-z0-9_-]{16,64}$/, 'must be a link id as POST /v1/links returned it'));
export const linkParams = z.strictObject({ id: linkIdSchema });
const clientIdSchema = idSchema.check(
  z.describe('An API client id (operator-cli: links the operator CLI made)'),
);
/** A page size, coerced: query strings carry only text. */
const limitSchema = (max: number, fallback: number) =>
  z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), fallback)
    .check(z.describe(`Page size, 1-${max}, default ${fallback}`));
export const linksQuery = z.strictObject({
  createdBy: z
    .optional(clientIdSchema)
    .check(z.describe('Only links this client created; a client that is not admin may name only itself')),
  applianceId: z.optional(applianceIdParam),
  deviceId: z.optional(deviceIdParam),
  limit: limitSchema(500, 50),
  cursor: z.optional(z.string().check(z.maxLength(4096))),
});
export const linkSummarySchema = z
  .object({
    id: linkIdSchema,
    createdBy: z.string(),
    applianceId: z.string(),
    deviceId: z.string(),
    deviceName: z.optional(z.string()),
    viewerType: z.string(),
    sharingMode: z.optional(z.string()),
    mouseMode: z.optional(z.int()),
    user: z.optional(z.string()),
    reason: z.optional(z.string()),
    singleUse: z.boolean(),
    confirm: z.boolean(),
    uses: z.int().check(z.describe('Clicks so far')),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    lastUsedAt: z.optional(z.iso.datetime()),
  })
  .check(z.meta({ id: 'LinkSummary', description: 'A live link; its token (URL) is never shown again' }));
export const linksResponse = z.object({
  links: z.array(linkSummarySchema).check(z.describe('Live links, newest first per creator')),
  nextCursor: z.optional(z.string()),
});
export const revokeLinksQuery = z.strictObject({
  createdBy: clientIdSchema.check(z.describe('Revoke every live link this client created')),
});
export const revokeLinksResponse = z.object({
  revoked: z
    .int()
    .check(z.describe("Links revoked (those on appliances outside the admin's allow-list stay)")),
});
export const launchParams = z.strictObject({ token: z.string().check(z.maxLength(512)) });

export const inventoryDeviceSchema = z
  .object({
    ...deviceFields,
    applianceId: z.string(),
    kind: z.optional(kindSchema),
    lastSeenAt: z.iso.datetime(),
  })
  .check(z.meta({ id: 'InventoryDevice' }));
export const inventoryQuery = z.strictObject({
  applianceId: z.optional(applianceIdParam),
  type: z.optional(deviceTypeSchema),
  viewerType: z.optional(viewerTypeSchema),
  kind: z.optional(kindSchema),
  state: z
    .optional(z.string().check(z.minLength(1), z.maxLength(64)))
    .check(z.describe('Device state, e.g. POWERED_ON or READY')),
  q: z
    .optional(z.string().check(z.minLength(1), z.maxLength(200)))
    .check(z.describe('Case-insensitive substring of the device name or type')),
  limit: limitSchema(500, 50),
  cursor: z.optional(z.string().check(z.maxLength(4096))),
});
export const inventoryResponse = z.object({
  devices: z.array(inventoryDeviceSchema),
  nextCursor: z.optional(z.string()),
});

export const syncResultSchema = z.object({
  applianceId: z.string(),
  status: z.enum(['ok', 'error']),
  complete: z
    .optional(z.boolean())
    .check(z.describe('false: the source could not list everything; nothing was removed')),
  devices: z.int(),
  added: z.int(),
  updated: z.int(),
  removed: z.int(),
  error: z.optional(z.string()),
  durationMs: z.number(),
});
export const syncResponse = z.object({ appliances: z.array(syncResultSchema) });

export const auditQuery = z.strictObject({
  applianceId: z.optional(applianceIdParam),
  reason: z.optional(reasonSchema).check(z.describe('Only events of this exact reason')),
  from: z.optional(z.iso.datetime()),
  to: z.optional(z.iso.datetime()),
  limit: limitSchema(500, 50),
  cursor: z.optional(z.string().check(z.maxLength(4096))),
});
export const auditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    clientId: z.optional(z.string()).check(z.describe('The API client (ticket_issued, link_created)')),
    linkId: z.optional(z.string()),
    createdBy: z
      .optional(z.string())
      .check(z.describe("On a link's click: the client that created the link")),
    ttlSeconds: z.optional(z.int()).check(z.describe('link_created: the lifetime asked for')),
    singleUse: z.optional(z.boolean()).check(z.describe('link_created')),
    confirm: z.optional(z.boolean()).check(z.describe('link_created: whether clicks ask for a button press')),
    applianceId: z
      .optional(z.string())
      .check(z.describe('Absent only for not_found: an unknown token names no appliance')),
    deviceId: z.optional(z.string()),
    viewerType: z.optional(z.string()),
    sharingMode: z.optional(z.string()),
    mouseMode: z.optional(z.int()),
    user: z.optional(z.string()),
    reason: z.optional(z.string()),
    sourceRef: z
      .optional(z.string())
      .check(z.describe("The source's reference (a Password Safe request id)")),
    outcome: z.enum(AUDIT_OUTCOMES),
    sourceIp: z.optional(z.string()),
    userAgent: z.optional(z.string()),
  })
  .check(z.meta({ id: 'AuditEvent' }));
export const auditResponse = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.optional(z.string()),
});

export const appliancesResponse = z.object({
  appliances: z.array(
    z.object({ id: z.string(), name: z.string(), kind: kindSchema, viewerTypes: z.array(z.string()) }),
  ),
});
