import * as z from '../../zod.js';
import { applianceFields } from '../schemas.js';

const nonEmpty = () => z.string().check(z.minLength(1));

/** `POST /api/v1/userSessions` → 201. */
export const loginResponseSchema = z.object({
  user_session: z.object({
    id: nonEmpty(),
    username: z.optional(z.string()),
    name: z.optional(z.string()),
  }),
  jwt: nonEmpty(),
});

/** One entry of `GET /api/v1/devices`. */
export const deviceSchema = z.object({
  id: nonEmpty(),
  device_name: z.string(),
  device_type_programmatic_name: nonEmpty(),
  connection_path_info: z.optional(z.array(z.looseObject({ path_type: z.string() }))),
});

/** `GET /api/v1/devices` → 200. */
export const devicesResponseSchema = z.object({ devices: z.array(deviceSchema) });

/** `POST /api/v1/userSessions/<id>:createTicket` → 200. */
export const ticketResponseSchema = z.object({ ticket: nonEmpty() });

/** The appliance models the note covers; only MP1000/MP1000VA get API v1.1 (STANDALONE_PASSIVE). */
export const PLATFORMS = ['MP1000', 'MP1000VA', 'RM1048P'] as const;
export const VIEWER_TYPES = ['KVM', 'SERIAL', 'VM'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];
export const SHARING_MODES = ['ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH', 'STANDALONE_PASSIVE'] as const;
export const MOUSE_MODES = [0, 1, 2] as const;

/** A registered DSView appliance: the base fields plus the platform and firmware the launch rules need. */
export const dsviewApplianceSchema = z.strictObject({
  ...applianceFields('dsview'),
  platform: z.enum(PLATFORMS).check(z.describe('platform: MP1000, MP1000VA or RM1048P')),
  firmwareVersion: z.string().check(
    z.regex(/^\d+(\.\d+){0,3}$/, 'must be a dotted version such as 3.33.8'),
    z.meta({
      cli: 'firmware',
      description: 'firmware version, e.g. 3.33.8 (STANDALONE_PASSIVE needs 3.33.8 or later)',
    }),
  ),
});
export type DsviewAppliance = z.infer<typeof dsviewApplianceSchema>;

/** What is sealed at rest for a DSView session. */
export const dsviewStateSchema = z.strictObject({ jwt: nonEmpty() });
