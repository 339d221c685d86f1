import * as z from 'zod';
import { ALL_VIEWER_TYPES, KINDS, LAUNCH_FIELDS, PROVIDERS } from '../appliances/providers.js';
import { idSchema } from '../appliances/schemas.js';
import { AUDIT_OUTCOMES } from '../audit/audit-log.js';

/**
 * The public contract's request and response shapes. The same schemas validate requests and generate the
 * OpenAPI document, so the two cannot drift.
 */
export const applianceIdParam = idSchema.describe('Registered appliance id');
export const deviceIdParam = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be a device id as the appliance reports it')
  .describe('Device id as the appliance reports it');

export const viewerTypeSchema = z
  .enum(ALL_VIEWER_TYPES)
  .describe(
    `What to open; must be one the device supports. By kind: ${PROVIDERS.map((p) => `${p.kind}: ${p.viewerTypes.join(', ')}`).join('; ')}`,
  );
export const kindSchema = z.enum(KINDS).describe('The console source kind');
/** A programmatic device type: letters, digits, `_` and `-`, so it can never smuggle a filter expression. */
const deviceTypeSchema = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,63}$/, 'must be a programmatic name: A-Z, 0-9, _ and -, up to 64 characters')
  .describe('Device type programmatic name, e.g. ADX-IP-IQ, VM, VIRTUAL');
const reasonSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x20-\x7E\u00A0-\uFFFF]+$/, 'must be 1-200 printable characters')
  .describe("Why, e.g. the ticketing system's incident number; recorded on every audit event");

export const deviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string().describe('Device type, e.g. ADX-IP-IQ (dsview), VM (vcenter), VIRTUAL (dcv)'),
    connectionPaths: z.array(z.string()),
    viewerTypes: z.array(z.string()).describe('What can be opened now'),
    state: z.string().optional().describe('Where the source has one: POWERED_ON, READY, …'),
    owner: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'Device' });

export const problemSchema = z
  .object({
    type: z.string().describe('URI identifying the problem case'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const healthResponse = z.object({ status: z.literal('ok') });

export const applianceParams = z.strictObject({ applianceId: applianceIdParam });
export const deviceParams = z.strictObject({ applianceId: applianceIdParam, deviceId: deviceIdParam });

export const loginResponse = z.object({
  applianceId: z.string(),
  userSessionId: z.string().describe("The source's session id (DSView) or a non-secret reference to it"),
  username: z.string().describe('Who the broker is signed in as'),
  expiresAt: z.iso.datetime(),
  reused: z.boolean().describe('true when an existing appliance session was valid and no login was needed'),
});

export const liveDevicesQuery = z.strictObject({
  type: deviceTypeSchema.optional(),
  name: z.string().min(1).max(200).optional().describe('Case-insensitive substring of the device name'),
});
export const devicesResponse = z.object({ devices: z.array(deviceSchema) });

export const viewerRequestBody = z.strictObject({
  viewerType: viewerTypeSchema,
  ...LAUNCH_FIELDS,
  reason: reasonSchema.optional(),
});
export const ticketResponse = z
  .object({
    ticket: z
      .string()
      .describe(
        'The one-time credential: a DSView ticket (20 s), a vCenter ticket URI, a DCV connection token',
      ),
    launchUrl: z.string().optional().describe('What opens the console with the ticket'),
    expiresAt: z.iso.datetime().optional(),
    host: z.string().optional().describe('password-safe: the session proxy host'),
    port: z.number().int().optional().describe('password-safe: the session proxy port'),
    command: z.string().optional().describe('password-safe SSH: the command to run'),
    rdpFile: z.string().optional().describe('password-safe RDP: the .rdp file text'),
  })
  .meta({ id: 'Ticket' });
export const pendingResponse = z
  .object({
    status: z.literal('pending-approval'),
    requestId: z.string(),
    retryAfterSeconds: z.number().int(),
  })
  .meta({ id: 'PendingApproval' });

export const createLinkBody = z.strictObject({
  applianceId: applianceIdParam,
  deviceId: deviceIdParam,
  viewerType: viewerTypeSchema,
  ...LAUNCH_FIELDS,
  reason: reasonSchema.optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Link lifetime; default 24 h, capped (7 days by default)'),
  singleUse: z.boolean().optional().describe('When true the link opens the console once'),
  confirm: z
    .boolean()
    .optional()
    .describe(
      'When true a click shows a page with an "Open console" button and uses nothing up; the button opens the console (mail scanners and chat previews fetch links but never press it). Default: the deployment\'s LINK_CONFIRM_DEFAULT (never, single-use or always; never unless set)',
    ),
});
export const linkResponse = z.object({
  id: z.string(),
  url: z.url(),
  expiresAt: z.iso.datetime(),
  singleUse: z.boolean(),
  confirm: z.boolean().describe('Whether a click asks for a button press first'),
});
const linkIdSchema = z
  .string()
  .regex(/^lnk_[A-Za-z0-9_-]{16,64}$/, 'must be a link id as POST /v1/links returned it');
export const linkParams = z.strictObject({ id: linkIdSchema });
const clientIdSchema = idSchema.describe('An API client id (operator-cli: links the operator CLI made)');
export const linksQuery = z.strictObject({
  createdBy: clientIdSchema
    .optional()
    .describe('Only links this client created; a client that is not admin may name only itself'),
  applianceId: applianceIdParam.optional(),
  deviceId: deviceIdParam.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Page size, 1-500, default 50'),
  cursor: z.string().max(4096).optional(),
});
export const linkSummarySchema = z
  .object({
    id: linkIdSchema,
    createdBy: z.string(),
    applianceId: z.string(),
    deviceId: z.string(),
    deviceName: z.string().optional(),
    viewerType: z.string(),
    sharingMode: z.string().optional(),
    mouseMode: z.number().int().optional(),
    user: z.string().optional(),
    reason: z.string().optional(),
    singleUse: z.boolean(),
    confirm: z.boolean(),
    uses: z.number().int().describe('Clicks so far'),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'LinkSummary', description: 'A live link; its token (URL) is never shown again' });
export const linksResponse = z.object({
  links: z.array(linkSummarySchema).describe('Live links, newest first per creator'),
  nextCursor: z.string().optional(),
});
export const revokeLinksQuery = z.strictObject({
  createdBy: clientIdSchema.describe('Revoke every live link this client created'),
});
export const revokeLinksResponse = z.object({
  revoked: z
    .number()
    .int()
    .describe("Links revoked (those on appliances outside the admin's allow-list stay)"),
});
export const launchParams = z.strictObject({ token: z.string().max(512) });

export const inventoryDeviceSchema = deviceSchema
  .extend({ applianceId: z.string(), kind: kindSchema.optional(), lastSeenAt: z.iso.datetime() })
  .meta({ id: 'InventoryDevice' });
const limitSchema = (max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`Page size, 1-${max}, default ${fallback}`);
export const inventoryQuery = z.strictObject({
  applianceId: applianceIdParam.optional(),
  type: deviceTypeSchema.optional(),
  viewerType: viewerTypeSchema.optional(),
  kind: kindSchema.optional(),
  state: z.string().min(1).max(64).optional().describe('Device state, e.g. POWERED_ON or READY'),
  q: z.string().min(1).max(200).optional().describe('Case-insensitive substring of the device name or type'),
  limit: limitSchema(500, 50),
  cursor: z.string().max(4096).optional(),
});
export const inventoryResponse = z.object({
  devices: z.array(inventoryDeviceSchema),
  nextCursor: z.string().optional(),
});

export const syncResultSchema = z.object({
  applianceId: z.string(),
  status: z.enum(['ok', 'error']),
  complete: z
    .boolean()
    .optional()
    .describe('false: the source could not list everything; nothing was removed'),
  devices: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  removed: z.number().int(),
  error: z.string().optional(),
  durationMs: z.number(),
});
export const syncResponse = z.object({ appliances: z.array(syncResultSchema) });

export const auditQuery = z.strictObject({
  applianceId: applianceIdParam.optional(),
  reason: reasonSchema.optional().describe('Only events of this exact reason'),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  limit: limitSchema(500, 50),
  cursor: z.string().max(4096).optional(),
});
export const auditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    clientId: z.string().optional().describe('The API client (ticket_issued, link_created)'),
    linkId: z.string().optional(),
    createdBy: z.string().optional().describe("On a link's click: the client that created the link"),
    ttlSeconds: z.number().int().optional().describe('link_created: the lifetime asked for'),
    singleUse: z.boolean().optional().describe('link_created'),
    confirm: z.boolean().optional().describe('link_created: whether clicks ask for a button press'),
    applianceId: z
      .string()
      .optional()
      .describe('Absent only for not_found: an unknown token names no appliance'),
    deviceId: z.string().optional(),
    viewerType: z.string().optional(),
    sharingMode: z.string().optional(),
    mouseMode: z.number().int().optional(),
    user: z.string().optional(),
    reason: z.string().optional(),
    sourceRef: z.string().optional().describe("The source's reference (a Password Safe request id)"),
    outcome: z.enum(AUDIT_OUTCOMES),
    sourceIp: z.string().optional(),
    userAgent: z.string().optional(),
  })
  .meta({ id: 'AuditEvent' });
export const auditResponse = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.string().optional(),
});

export const appliancesResponse = z.object({
  appliances: z.array(
    z.object({ id: z.string(), name: z.string(), kind: kindSchema, viewerTypes: z.array(z.string()) }),
  ),
});
