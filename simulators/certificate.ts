import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

/** A PEM private key and its certificate, in the form `node:https` takes them. */
export interface CertificatePair {
  keyPem: string;
  certPem: string;
}

const DAY_MS = 86_400_000;

/**
 * Generates a self-signed EC P-256 certificate with no subjectAltName, like an appliance's factory certificate:
 * it names neither host nor IP, so a client must pin it (CA or fingerprint) instead of checking hostnames.
 */
export async function generateCertificate(commonName = 'dsview-simulator'): Promise<CertificatePair> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // Backdated so a test machine whose clock lags slightly still accepts it.
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 365 * DAY_MS),
    // An explicit list, because selfsigned's default adds a DNS subjectAltName; CA + keyCertSign lets the
    // certificate itself serve as the trusted root.
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
    ],
  });
  return { keyPem: pems.private, certPem: pems.cert };
}

let shared: Promise<CertificatePair> | undefined;

/** The process-wide default certificate, generated once so many simulators in one test file share the cost. */
export function defaultCertificate(): Promise<CertificatePair> {
  if (!shared) {
    shared = generateCertificate();
    // A failed generation must not poison every later simulator in the process.
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** The certificate's SHA-256 fingerprint exactly as `X509Certificate.fingerprint256` prints it (`AA:BB:...`). */
export function certificateFingerprint256(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
