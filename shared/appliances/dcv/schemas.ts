import * as z from '../../zod.js';
import { applianceFields } from '../schemas.js';

export const VIEWER_TYPES = ['DCV', 'DCV_NATIVE'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];

/**
 * A login name as Linux and Windows write it (`alice`, `DOMAIN\alice`, `alice@corp.example`). It becomes a
 * path segment of `sessionConnectionData`, so it starts with a letter, digit or `_` (never `.` or `..`).
 */
export const DCV_USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._@\\-]{0,63}$/;
const USER_NAME_RULE = 'must be a DCV user name: letters, digits, . _ - @ \\, 1-64 characters';

export const dcvUserSchema = z.string().check(z.regex(DCV_USER_NAME, USER_NAME_RULE));
const nonEmpty = () => z.string().check(z.minLength(1));

/** A DNS name or an IP address: what may stand between `https://` and the port of a URL the broker builds. */
export const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const gatewaySchema = z
  .strictObject({
    host: z.string().check(z.regex(HOST_NAME, 'must be a DNS name or an IPv4 address')),
    port: z.int().check(z.minimum(1), z.maximum(65535)),
  })
  .check(
    z.describe(
      'a DCV Connection Gateway in front of the DCV servers, as JSON {"host":"gw.example.com","port":8443}',
    ),
  );

/** A registered DCV Session Manager: the base fields plus who tokens are minted for and where browsers go. */
export const dcvApplianceSchema = z.strictObject({
  ...applianceFields('dcv'),
  connectAs: z
    .optional(dcvUserSchema)
    .check(
      z.describe(
        'the DCV user connection tokens are minted for when a request names none (default: the session owner)',
      ),
    ),
  gateway: z.optional(gatewaySchema),
  connectionTokenMinutes: z
    .optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(10_080)))
    .check(
      z.describe(
        "the broker's connect-session-token-duration-minutes, for tokens that carry no expiry (default 60)",
      ),
    ),
});
export type DcvAppliance = z.infer<typeof dcvApplianceSchema>;

/** What `register-api-client` prints: `client-id` and `client-password`. */
export const dcvCredentialsSchema = z.strictObject({
  clientId: z
    .string()
    .check(z.minLength(1), z.maxLength(256), z.describe('the client-id register-api-client printed')),
  clientSecret: z
    .string()
    .check(z.minLength(1), z.maxLength(1024), z.describe('the client-password register-api-client printed')),
});
export type DcvCredentials = z.infer<typeof dcvCredentialsSchema>;

/** What is sealed at rest for a DCV provider session: the OAuth access token. */
export const dcvStateSchema = z.strictObject({ accessToken: nonEmpty() });
export type DcvState = z.infer<typeof dcvStateSchema>;

/** `POST /oauth2/token` → 200. `expires_in` is optional in RFC 6749; its absence costs a default lifetime. */
export const tokenResponseSchema = z.object({
  access_token: nonEmpty(),
  token_type: z.optional(z.string()),
  expires_in: z.optional(z.number().check(z.positive())),
});

const serverSchema = z.looseObject({
  Ip: z.optional(z.string()),
  Hostname: z.optional(z.string()),
  // A string in the OpenAPI model, unlike Endpoints[].Port; accept both in case a broker sends a number.
  Port: z.optional(z.union([z.string(), z.number()])),
  WebUrlPath: z.optional(z.string()),
  Endpoints: z.optional(
    z.array(
      z.looseObject({
        IpAddress: z.optional(z.string()),
        Port: z.optional(z.union([z.number(), z.string()])),
        WebUrlPath: z.optional(z.string()),
        Protocol: z.optional(z.string()),
      }),
    ),
  ),
  Tags: z.optional(z.array(z.looseObject({ Key: z.string(), Value: z.string() }))),
});
export type DcvServer = z.infer<typeof serverSchema>;

/** One `Session` of DescribeSessions and GetSessionConnectionData (fields the broker reads; the rest kept). */
export const sessionSchema = z.looseObject({
  Id: nonEmpty(),
  Name: z.optional(z.string()),
  Owner: z.optional(z.string()),
  Type: z.optional(z.string()),
  State: nonEmpty(),
  Server: z.optional(serverSchema),
});
export type DcvSession = z.infer<typeof sessionSchema>;

/** `POST /describeSessions` → 200; the last page has no `NextToken` (or an explicit null). */
export const describeSessionsResponseSchema = z.object({
  Sessions: z._default(z.array(sessionSchema), []),
  NextToken: z.nullish(nonEmpty()),
});

/** `GET /sessionConnectionData/{sessionId}/{user}` → 200. */
export const connectionDataResponseSchema = z.object({
  Session: sessionSchema,
  ConnectionToken: nonEmpty(),
});
