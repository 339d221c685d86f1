import { z } from 'zod';
import { MOUSE_MODES, SHARING_MODES, VIEWER_TYPES } from '../appliances/types.js';
import { AUDIT_OUTCOMES } from '../audit/audit-log.js';
import { idSchema } from '../registry/schemas.js';

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

export const viewerTypeSchema = z.enum(VIEWER_TYPES);
export const sharingModeSchema = z.enum(SHARING_MODES);
export const mouseModeSchema = z.union(MOUSE_MODES.map((mode) => z.literal(mode)));

export const deviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string().describe('Device type programmatic name, e.g. ADX-IP-IQ'),
    connectionPaths: z.array(z.string()),
    viewerTypes: z.array(viewerTypeSchema),
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
  userSessionId: z.string(),
  username: z.string(),
  expiresAt: z.iso.datetime(),
  reused: z.boolean().describe('true when an existing appliance session was valid and no login was needed'),
});

export const liveDevicesQuery = z.strictObject({
  type: z.string().min(1).max(64).optional().describe('Device type programmatic name'),
  name: z.string().min(1).max(200).optional().describe('Case-insensitive substring of the device name'),
});
export const devicesResponse = z.object({ devices: z.array(deviceSchema) });

export const viewerRequestBody = z.strictObject({
  viewerType: viewerTypeSchema,
  sharingMode: sharingModeSchema.optional(),
  mouseMode: mouseModeSchema.optional(),
});
export const ticketResponse = z.object({
  ticket: z.string().describe('One-time viewer ticket, valid 20 seconds'),
  launchUrl: z.url(),
  expiresAt: z.iso.datetime(),
});

export const createLinkBody = z.strictObject({
  applianceId: applianceIdParam,
  deviceId: deviceIdParam,
  viewerType: viewerTypeSchema,
  sharingMode: sharingModeSchema.optional(),
  mouseMode: mouseModeSchema.optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Link lifetime; default 24 h, capped (7 days by default)'),
  singleUse: z.boolean().optional().describe('When true the link opens the console once'),
});
export const linkResponse = z.object({
  id: z.string(),
  url: z.url(),
  expiresAt: z.iso.datetime(),
  singleUse: z.boolean(),
});
export const linkParams = z.strictObject({
  id: z.string().regex(/^lnk_[A-Za-z0-9_-]{16,64}$/, 'must be a link id as POST /v1/links returned it'),
});
export const launchParams = z.strictObject({ token: z.string().max(512) });

export const inventoryDeviceSchema = deviceSchema
  .extend({ applianceId: z.string(), lastSeenAt: z.iso.datetime() })
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
  type: z.string().min(1).max(64).optional(),
  viewerType: viewerTypeSchema.optional(),
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
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  limit: limitSchema(500, 50),
  cursor: z.string().max(4096).optional(),
});
export const auditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    clientId: z.string().optional(),
    linkId: z.string().optional(),
    applianceId: z
      .string()
      .optional()
      .describe('Absent only for not_found: an unknown token names no appliance'),
    deviceId: z.string().optional(),
    viewerType: viewerTypeSchema.optional(),
    sharingMode: sharingModeSchema.optional(),
    mouseMode: mouseModeSchema.optional(),
    outcome: z.enum(AUDIT_OUTCOMES),
    sourceIp: z.string().optional(),
    userAgent: z.string().optional(),
  })
  .meta({ id: 'AuditEvent' });
export const auditResponse = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.string().optional(),
});
