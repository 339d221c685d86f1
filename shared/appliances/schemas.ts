import { X509Certificate } from 'node:crypto';
import * as z from '../zod.js';

/** Appliance and client ids: lowercase, digits and dashes, 1-64 characters, as the contract fixes. */
export const idSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9-]{0,63}$/,
      'must be 1-64 characters of a-z, 0-9 and -, starting with a letter or digit',
    ),
  );

const fingerprintSchema = z
  .string()
  .check(
    z.regex(
      /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/,
      'must be a SHA-256 fingerprint as 32 colon-separated hex bytes',
    ),
  );

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';

/** Whether the text holds a certificate Node can parse (a bad one would only fail at the first connection). */
function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

const serverNameSchema = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/, 'must be a DNS name (letters, digits, dots, dashes)'),
  );

/** Exactly one trust rule per appliance. */
export const tlsSchema = z.union(
  [
    z.strictObject({
      caPem: z.string().check(
        z.includes(PEM_BEGIN, { message: 'must be a PEM certificate' }),
        z.refine(
          (pem) => !pem.includes(PEM_BEGIN) || parsesAsCertificate(pem),
          'must be a PEM certificate that parses (check the base64 between the lines)',
        ),
      ),
      serverName: z
        .optional(serverNameSchema)
        .check(
          z.describe(
            "The name the appliance's certificate carries, when the base URL's host is not it (an IP address, an " +
              "internal alias); also sent as SNI. Not needed when caPem is the appliance's own self-signed certificate.",
          ),
        ),
    }),
    z.strictObject({ fingerprint256: fingerprintSchema }),
    z.strictObject({ insecure: z.literal(true) }),
  ],
  {
    error:
      'must be exactly one of {"caPem": PEM, "serverName"?: name}, {"fingerprint256": "AB:CD:…"} or {"insecure": true}',
  },
);

const baseUrlSchema = z.url({ protocol: /^https$/, message: 'must be an https:// URL' }).check(
  z.refine((value) => {
    // An unparsable value is already reported by `z.url`; `new URL` would throw out of the parse.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  }, 'must be only scheme, host and optional port (no path, query or user info)'),
);

/**
 * The fields every appliance has, whatever its kind; a provider extends them flat with its `kind` literal and
 * its own fields. `baseUrl` is scheme, host and port only unless the kind documents a path (`withPath`).
 */
export function applianceFields<K extends string>(kind: K, options: { baseUrlPath?: boolean } = {}) {
  return {
    id: idSchema,
    name: z.string().check(z.minLength(1), z.maxLength(200)),
    kind: z.literal(kind),
    baseUrl: options.baseUrlPath ? baseUrlWithPathSchema : baseUrlSchema,
    tls: tlsSchema,
  };
}

/** Password Safe's base URL carries its API path (`https://pam/BeyondTrust/api/public/v3`). */
const baseUrlWithPathSchema = z.url({ protocol: /^https$/, message: 'must be an https:// URL' }).check(
  z.refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return !url.search && !url.hash && !url.username && !url.password;
  }, 'must carry no query, fragment or user info'),
);

/** Username and password, the credentials of DSView and vCenter. */
export const passwordCredentialsSchema = z.strictObject({
  username: z.string().check(z.minLength(1), z.maxLength(256)),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});
