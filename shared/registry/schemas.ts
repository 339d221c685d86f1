import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { PLATFORMS } from '../appliances/types.js';

/** Appliance and client ids: lowercase, digits and dashes, 1-64 characters, as the contract fixes. */
export const idSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,63}$/,
    'must be 1-64 characters of a-z, 0-9 and -, starting with a letter or digit',
  );

const fingerprintSchema = z
  .string()
  .regex(
    /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/,
    'must be a SHA-256 fingerprint as 32 colon-separated hex bytes',
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

/** Exactly one trust rule per appliance. */
export const tlsSchema = z.union(
  [
    z.strictObject({
      caPem: z
        .string()
        .includes(PEM_BEGIN, { message: 'must be a PEM certificate' })
        .refine(
          (pem) => !pem.includes(PEM_BEGIN) || parsesAsCertificate(pem),
          'must be a PEM certificate that parses (check the base64 between the lines)',
        ),
    }),
    z.strictObject({ fingerprint256: fingerprintSchema }),
    z.strictObject({ insecure: z.literal(true) }),
  ],
  { error: 'must be exactly one of {"caPem": PEM}, {"fingerprint256": "AB:CD:…"} or {"insecure": true}' },
);

/** The registered facts of an appliance (credentials are separate). */
export const applianceSchema = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  baseUrl: z.url({ protocol: /^https$/, message: 'must be an https:// URL' }).refine((value) => {
    // An unparsable value is already reported by `z.url`; `new URL` would throw out of the parse.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  }, 'must be only scheme, host and optional port (no path, query or user info)'),
  platform: z.enum(PLATFORMS),
  firmwareVersion: z.string().regex(/^\d+(\.\d+){0,3}$/, 'must be a dotted version such as 3.33.8'),
  tls: tlsSchema,
});

export const credentialsSchema = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
});
