import * as z from '../zod.js';

/** The table the local runtime and the CLI's `--local` use when no name is given. */
export const DEFAULT_TABLE_NAME = 'console-launch-broker';

const seconds = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
const millis = seconds;
const nonEmpty = () => z.string().check(z.minLength(1));

/** Runtime settings of every Lambda and the local runtime, read from the environment. */
export const settingsSchema = z.object({
  TABLE_NAME: nonEmpty(),
  KEYS_SECRET_ID: z._default(nonEmpty(), 'console-launch-broker/keys'),
  APPLIANCE_SECRET_PREFIX: z._default(nonEmpty(), 'console-launch-broker/appliances/'),
  PUBLIC_BASE_URL: z.optional(z.url()),
  LINK_DEFAULT_TTL_SECONDS: seconds(24 * 3600),
  LINK_MAX_TTL_SECONDS: seconds(7 * 24 * 3600),
  /**
   * Which links ask for a button press before they claim (scanner-proof) when the creator does not say:
   * `never` keeps the contract's one-click 302, `single-use` protects the links a scanner can use up.
   */
  LINK_CONFIRM_DEFAULT: z._default(z.enum(['never', 'single-use', 'always']), 'never'),
  /**
   * `true` lets appliances registered with `tls.insecure` be used without any certificate check; anything else
   * refuses them (502 appliance-tls-failed). The AWS stack sets it from `-c allowInsecureAppliances`; the local
   * runtime sets it to `true` unless told otherwise.
   */
  ALLOW_INSECURE_APPLIANCES: z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((value) => value === 'true'),
  ),
  APPLIANCE_CONNECT_TIMEOUT_MS: millis(5_000),
  APPLIANCE_REQUEST_TIMEOUT_MS: millis(10_000),
  SECRETS_CACHE_SECONDS: seconds(300),
  REGISTRY_CACHE_SECONDS: seconds(30),
  SESSION_REFRESH_MARGIN_SECONDS: seconds(300),
  DEVICE_CACHE_SECONDS: seconds(60),
  AUDIT_RETENTION_DAYS: seconds(400),
  SYNC_CONCURRENCY: seconds(8),
  /** After the appliance refuses the stored credentials, no process retries a login for this long. */
  LOGIN_FAILURE_HOLD_SECONDS: seconds(30),
  /** API requests per client per minute. */
  CLIENT_RATE_LIMIT_PER_MINUTE: seconds(600),
  /** Failed link clicks per source address per minute before a cool-down. */
  LAUNCH_FAILURES_PER_MINUTE: seconds(20),
  INVENTORY_SEEN_REFRESH_HOURS: seconds(24),
});
export type Settings = z.infer<typeof settingsSchema>;

/** Reads settings from `env`, failing with the names of the variables that are wrong. */
export function readSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid broker environment: ${problems.join('; ')}`);
  }
  return parsed.data;
}
