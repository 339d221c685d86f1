import { X509Certificate } from 'node:crypto';
import { Agent, type AgentOptions, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsTrust } from './provider.js';

/** Raised when the peer certificate does not match the pinned fingerprint. */
export class CertificatePinError extends Error {
  readonly code = 'ERR_CERT_PIN_MISMATCH';
}

/** Raised when TCP + TLS take longer than the connect limit. */
export class ConnectTimeoutError extends Error {
  readonly code = 'ERR_CONNECT_TIMEOUT';
}

export interface HttpsPoolOptions {
  /** TCP + TLS handshake limit. */
  connectTimeoutMs: number;
  /** How long an idle keep-alive connection is kept; reuse is what makes a warm call one round trip. */
  keepAliveMs?: number;
  /** Called once when verification is turned off, so the operator sees it. */
  onInsecure?: () => void;
}

type CreateCallback = (error: Error | null, socket: Duplex) => void;

/**
 * Node's own keep-alive agent with one appliance's trust rule and a connect limit. A connection is handed to a
 * request only once its handshake and our checks passed (`createConnection` answers through the callback), so
 * a pinned fingerprint that does not match fails before a byte of the request is written.
 */
class ApplianceAgent extends Agent {
  constructor(
    options: AgentOptions,
    private readonly connectTimeoutMs: number,
    private readonly pin: string | undefined,
  ) {
    super(options);
  }

  override createConnection(options: RequestOptions, callback?: CreateCallback): undefined {
    // https.Agent's own createConnection: tls.connect plus its TLS session cache.
    const create = Agent.prototype.createConnection as unknown as (o: RequestOptions) => TLSSocket;
    const socket = create.call(this, options);
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', settle);
      if (error) socket.destroy();
      callback?.(error, socket);
    };
    const timer = setTimeout(
      () => settle(new ConnectTimeoutError('connect timed out')),
      this.connectTimeoutMs,
    );
    socket.once('error', settle);
    socket.once('secureConnect', () => {
      const seen = this.pin === undefined ? undefined : socket.getPeerCertificate().fingerprint256;
      settle(
        this.pin !== undefined && seen !== this.pin
          ? new CertificatePinError('certificate fingerprint does not match the pinned value')
          : null,
      );
    });
    return undefined;
  }
}

/**
 * A keep-alive HTTPS agent for one appliance, with that appliance's trust rule:
 * - `caPem` verifies the chain, and the certificate's name against the base URL's host (or `serverName`),
 *   except when the peer presents exactly a self-signed certificate of the pinned PEM: that pin is exact, and
 *   appliance certificates often name neither host nor IP;
 * - `fingerprint256` compares the peer certificate's SHA-256 on every new connection;
 * - `insecure` verifies nothing (and says so once).
 */
export function createHttpsPool(tls: TlsTrust, options: HttpsPoolOptions): Agent {
  const keepAliveMs = options.keepAliveMs ?? 60_000;
  const common: AgentOptions = {
    keepAlive: true,
    // Idle sockets close after this; in-flight calls have the transport's own deadline.
    timeout: keepAliveMs,
    maxSockets: 32,
    maxFreeSockets: 32,
    scheduling: 'lifo',
  };
  if ('caPem' in tls) {
    const exact = selfSignedFingerprints(tls.caPem);
    const { serverName } = tls;
    return new ApplianceAgent(
      {
        ...common,
        ca: tls.caPem,
        rejectUnauthorized: true,
        ...(serverName ? { servername: serverName } : {}),
        checkServerIdentity: (host: string, cert: PeerCertificate) =>
          exact.has(cert.fingerprint256) ? undefined : checkServerIdentity(serverName ?? host, cert),
      },
      options.connectTimeoutMs,
      undefined,
    );
  }
  if ('fingerprint256' in tls) {
    // A resumed TLS session carries no peer certificate to compare, so every connection does a full handshake.
    return new ApplianceAgent(
      { ...common, rejectUnauthorized: false, maxCachedSessions: 0 },
      options.connectTimeoutMs,
      normalizeFingerprint(tls.fingerprint256),
    );
  }
  options.onInsecure?.();
  return new ApplianceAgent({ ...common, rejectUnauthorized: false }, options.connectTimeoutMs, undefined);
}

/** The SHA-256 fingerprints of the self-signed certificates in a PEM bundle (an appliance's own certificate). */
function selfSignedFingerprints(pem: string): Set<string> {
  const found = new Set<string>();
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      const cert = new X509Certificate(block);
      if (cert.subject === cert.issuer && cert.checkIssued(cert) && cert.verify(cert.publicKey)) {
        found.add(cert.fingerprint256);
      }
    } catch {
      // Not a certificate Node can parse: the config schema refuses those; it is simply not an exact pin.
    }
  }
  return found;
}

/** Normalizes `ab:cd…`, `ABCD…` or spaced forms to Node's `AB:CD:…` so operators can paste any of them. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}
