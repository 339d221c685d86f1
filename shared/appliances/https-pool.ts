import type { TLSSocket } from 'node:tls';
import { buildConnector, Pool } from 'undici';
import type { TlsTrust } from './provider.js';

/** Raised by the connector when the peer certificate does not match the pinned fingerprint. */
export class CertificatePinError extends Error {
  readonly code = 'ERR_CERT_PIN_MISMATCH';
}

export interface HttpsPoolOptions {
  /** TCP + TLS handshake limit. */
  connectTimeoutMs: number;
  /** How long an idle keep-alive connection is kept; reuse is what makes a warm call one round trip. */
  keepAliveMs?: number;
  /** Called once when verification is turned off, so the operator sees it. */
  onInsecure?: () => void;
}

/**
 * A keep-alive HTTPS connection pool for one appliance, with that appliance's trust rule. Appliance
 * certificates are self-signed and often name neither host nor IP, so with a CA we verify the chain but not
 * the hostname, and with a fingerprint we compare the peer certificate's SHA-256 ourselves.
 */
export function createHttpsPool(baseUrl: string, tls: TlsTrust, options: HttpsPoolOptions): Pool {
  const timeout = options.connectTimeoutMs;
  let connect: buildConnector.connector;
  if ('caPem' in tls) {
    connect = buildConnector({
      ca: tls.caPem,
      rejectUnauthorized: true,
      checkServerIdentity: () => undefined,
      timeout,
    });
  } else if ('fingerprint256' in tls) {
    connect = pinnedConnector(tls.fingerprint256, timeout);
  } else {
    options.onInsecure?.();
    connect = buildConnector({ rejectUnauthorized: false, timeout });
  }
  const keepAlive = options.keepAliveMs ?? 60_000;
  return new Pool(new URL(baseUrl).origin, {
    connect,
    keepAliveTimeout: keepAlive,
    keepAliveMaxTimeout: keepAlive,
    connections: 32,
  });
}

/** Normalizes `ab:cd…`, `ABCD…` or spaced forms to Node's `AB:CD:…` so operators can paste any of them. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

function pinnedConnector(fingerprint256: string, timeout: number): buildConnector.connector {
  const expected = normalizeFingerprint(fingerprint256);
  // A resumed TLS session carries no peer certificate to compare, so every connection does a full handshake.
  const base = buildConnector({ rejectUnauthorized: false, timeout, maxCachedSessions: 0 });
  return (opts, callback) => {
    base(opts, (error, socket) => {
      if (error) return callback(error, null);
      const seen = (socket as TLSSocket).getPeerCertificate?.().fingerprint256;
      if (seen !== expected) {
        socket.destroy();
        return callback(
          new CertificatePinError('certificate fingerprint does not match the pinned value'),
          null,
        );
      }
      callback(null, socket);
    });
  };
}
