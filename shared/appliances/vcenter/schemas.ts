import * as z from '../../zod.js';
import { applianceFields } from '../schemas.js';

export const VIEWER_TYPES = ['VMRC', 'WEBMKS'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];

/** `power_state` values of the VM list. */
export const POWER_STATES = ['POWERED_ON', 'POWERED_OFF', 'SUSPENDED'] as const;

/** vCenter's documented default idle timeout of an API session (the `/api` value is UNCONFIRMED: configurable). */
export const DEFAULT_SESSION_IDLE_MINUTES = 30;

const httpsUrl = z.url({ protocol: /^https$/, message: 'must be an https:// URL' });
const nonEmpty = () => z.string().check(z.minLength(1));

/** Where the operator hosts the VMware HTML Console SDK; the broker's console page loads it from there. */
export const htmlConsoleSchema = z.strictObject({
  scriptUrls: z
    .array(httpsUrl)
    .check(
      z.minLength(1),
      z.describe('https URLs of the SDK scripts in load order (jQuery, jQuery UI, wmks.min.js)'),
    ),
  styleUrls: z
    .optional(z.array(httpsUrl))
    .check(z.describe('https URLs of the SDK style sheets (wmks-all.css)')),
});

/** A registered vCenter: the base fields, and the HTML Console SDK location that WEBMKS launches need. */
export const vcenterApplianceSchema = z.strictObject({
  ...applianceFields('vcenter'),
  htmlConsole: z
    .optional(htmlConsoleSchema)
    .check(
      z.describe(
        'where the VMware HTML Console SDK is hosted, as JSON {"scriptUrls": [...], "styleUrls": [...]}; without it WEBMKS is refused',
      ),
    ),
  // Coerced: the CLI passes every flag as text (`--session-idle-minutes 20`).
  sessionIdleMinutes: z
    .optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(24 * 60)))
    .check(
      z.describe(`the vCenter API session idle timeout in minutes (default ${DEFAULT_SESSION_IDLE_MINUTES})`),
    ),
});
export type VcenterAppliance = z.infer<typeof vcenterApplianceSchema>;

/** What is sealed at rest for a vCenter session: the `vmware-api-session-id` value. */
export const vcenterStateSchema = z.strictObject({ sessionId: nonEmpty() });
export type VcenterState = z.infer<typeof vcenterStateSchema>;

/** `POST /api/session` → 201 with a bare JSON string. */
export const loginResponseSchema = nonEmpty();

/** One entry of `GET /api/vcenter/vm` (a bare array on `/api`); size fields are optional and ignored. */
export const vmSummarySchema = z.looseObject({
  vm: nonEmpty(),
  name: z.string(),
  power_state: nonEmpty(),
});
export const vmListSchema = z.array(vmSummarySchema);

/** One entry of `GET /api/vcenter/folder?type=VIRTUAL_MACHINE`. */
export const folderListSchema = z.array(z.looseObject({ folder: nonEmpty() }));

/** `POST …/console/tickets`: `{ticket}` on `/api`, `{value: {ticket}}` in the vendor text (the `/rest` shape). */
export const ticketResponseSchema = z.union([
  z.object({ ticket: nonEmpty() }),
  z.object({ value: z.object({ ticket: nonEmpty() }) }),
]);

/** The `/api` error envelope; only `error_type` is read (messages are vCenter's words, not shown as they are). */
export const errorEnvelopeSchema = z.looseObject({ error_type: nonEmpty() });
