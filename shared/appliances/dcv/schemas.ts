import * as z from 'zod';
import { applianceFields } from '../schemas.js';

export const VIEWER_TYPES = ['DCV', 'DCV_NATIVE'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];

/**
 * A login name as Linux and Windows write it (`alice`, `DOMAIN\alice`, `alice@corp.example`). It becomes a
 * path segment of `sessionConnectionData`, so it starts with a letter, digit or `_` (never `.` or `..`).
 */
export const DCV_USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._@\\-]{0,63}$/;
const USER_NAME_RULE = 'must be a DCV user name: letters, digits, . _ - @ \\, 1-64 characters';

export const dcvUserSchema = z.string().regex(DCV_USER_NAME, USER_NAME_RULE);

/** A DNS name or an IP address: what may stand between `https://` and the port of a URL the broker builds. */
export const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const gatewaySchema = z
  .strictObject({
    host: z.string().regex(HOST_NAME, 'must be a DNS name or an IPv4 address'),
    port: z.number().int().min(1).max(65535),
  })
  .describe(
    'a DCV Connection Gateway in front of the DCV servers, as JSON {"host":"gw.example.com","port":8443}',
  );

/** A registered DCV Session Manager: the base fields plus who tokens are minted for and where browsers go. */
export const dcvApplianceSchema = z.strictObject({
  ...applianceFields('dcv'),
  connectAs: dcvUserSchema
    .optional()
    .describe(
      'the DCV user connection tokens are minted for when a request names none (default: the session owner)',
    ),
  gateway: gatewaySchema.optional(),
  connectionTokenMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_080)
    .optional()
    .describe(
      "the broker's connect-session-token-duration-minutes, for tokens that carry no expiry (default 60)",
    ),
});
export type DcvAppliance = z.infer<typeof dcvApplianceSchema>;

/** What `register-api-client` prints: `client-id` and `client-password`. */
export const dcvCredentialsSchema = z.strictObject({
  clientId: z.string().min(1).max(256).describe('the client-id register-api-client printed'),
  clientSecret: z.string().min(1).max(1024).describe('the client-password register-api-client printed'),
});
export type DcvCredentials = z.infer<typeof dcvCredentialsSchema>;

/** What is sealed at rest for a DCV provider session: the OAuth access token. */
export const dcvStateSchema = z.strictObject({ accessToken: z.string().min(1) });
export type DcvState = z.infer<typeof dcvStateSchema>;

/** `POST /oauth2/token` → 200. `expires_in` is optional in RFC 6749; its absence costs a default lifetime. */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive().optional(),
});

const serverSchema = z
  .object({
    Ip: z.string().optional(),
    Hostname: z.string().optional(),
    // A string in the OpenAPI model, unlike Endpoints[].Port; accept both in case a broker sends a number.
    Port: z.union([z.string(), z.number()]).optional(),
    WebUrlPath: z.string().optional(),
    Endpoints: z
      .array(
        z
          .object({
            IpAddress: z.string().optional(),
            Port: z.union([z.number(), z.string()]).optional(),
            WebUrlPath: z.string().optional(),
            Protocol: z.string().optional(),
          })
          .loose(),
      )
      .optional(),
    Tags: z.array(z.object({ Key: z.string(), Value: z.string() }).loose()).optional(),
  })
  .loose();
export type DcvServer = z.infer<typeof serverSchema>;

/** One `Session` of DescribeSessions and GetSessionConnectionData (fields the broker reads; the rest kept). */
export const sessionSchema = z
  .object({
    Id: z.string().min(1),
    Name: z.string().optional(),
    Owner: z.string().optional(),
    Type: z.string().optional(),
    State: z.string().min(1),
    Server: serverSchema.optional(),
  })
  .loose();
export type DcvSession = z.infer<typeof sessionSchema>;

/** `POST /describeSessions` → 200; the last page has no `NextToken` (or an explicit null). */
export const describeSessionsResponseSchema = z.object({
  Sessions: z.array(sessionSchema).default([]),
  NextToken: z.string().min(1).nullish(),
});

/** `GET /sessionConnectionData/{sessionId}/{user}` → 200. */
export const connectionDataResponseSchema = z.object({
  Session: sessionSchema,
  ConnectionToken: z.string().min(1),
});
