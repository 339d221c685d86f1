import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApplianceTlsError } from '../../shared/appliances/errors.js';
import type { TlsTrust } from '../../shared/appliances/provider.js';
import { tlsSchema } from '../../shared/appliances/schemas.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { generateCertificate } from '../../simulators/certificate.js';

/**
 * The three cases of a pinned CA (docs/security.md, "Appliance TLS"): a CA-issued certificate must name the
 * base URL's host, or `tls.serverName` when the appliance sets it; the appliance's own self-signed certificate
 * pinned as the CA is an exact pin and needs no name.
 */
const DAY_MS = 86_400_000;

interface Pki {
  caPem: string;
  /** Issued by the CA for `appliance.lab.example` only. */
  leaf: { keyPem: string; certPem: string };
}

let pki: Pki;
const servers: Server[] = [];
const transports: HttpsTransport[] = [];

beforeAll(async () => {
  const now = Date.now();
  const validity = { notBeforeDate: new Date(now - DAY_MS), notAfterDate: new Date(now + 30 * DAY_MS) };
  const ca = await generate([{ name: 'commonName', value: 'Lab Root CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'appliance.lab.example' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'appliance.lab.example' }] },
    ],
  });
  pki = { caPem: ca.cert, leaf: { keyPem: leaf.private, certPem: leaf.cert } };
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** An HTTPS server on 127.0.0.1 answering 200 `{}` with the given certificate; counts requests. */
async function serve(cert: { keyPem: string; certPem: string }) {
  const seen = { requests: 0 };
  const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => {
    seen.requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function call(url: string, tls: TlsTrust) {
  const transport = new HttpsTransport('tls-names', url, tlsSchema.parse(tls) as TlsTrust, {
    requestTimeoutMs: 2_000,
  });
  transports.push(transport);
  return transport.request({ step: 'login', method: 'GET', path: '/', retry: false });
}

describe('a pinned CA', () => {
  it('refuses a CA-issued certificate that does not name the base URL host', async () => {
    const { url, seen } = await serve(pki.leaf);
    const error = await call(url, { caPem: pki.caPem }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplianceTlsError);
    expect((error as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((error as Error).message).not.toContain('127.0.0.1');
    expect(seen.requests).toBe(0);
  });

  it('accepts it when tls.serverName is the name the certificate carries', async () => {
    const { url, seen } = await serve(pki.leaf);
    const answer = await call(url, { caPem: pki.caPem, serverName: 'appliance.lab.example' } as TlsTrust);
    expect(answer.status).toBe(200);
    expect(seen.requests).toBe(1);
  });

  it('refuses it when tls.serverName is another name', async () => {
    const { url } = await serve(pki.leaf);
    const error = await call(url, { caPem: pki.caPem, serverName: 'other.lab.example' } as TlsTrust).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplianceTlsError);
  });

  it("accepts the appliance's own self-signed certificate as an exact pin, whatever it names", async () => {
    const own = await generateCertificate('names-nothing');
    const { url } = await serve(own);
    expect((await call(url, { caPem: own.certPem })).status).toBe(200);
  });

  it('refuses another self-signed certificate than the pinned one', async () => {
    const own = await generateCertificate('pinned');
    const impostor = await generateCertificate('impostor');
    const { url, seen } = await serve(impostor);
    const error = await call(url, { caPem: own.certPem }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplianceTlsError);
    expect(seen.requests).toBe(0);
  });
});

describe('tls.serverName in the config', () => {
  it('is a DNS name beside caPem only', () => {
    expect(tlsSchema.safeParse({ caPem: pki.caPem, serverName: 'appliance.lab.example' }).success).toBe(true);
    expect(tlsSchema.safeParse({ caPem: pki.caPem, serverName: 'not a name' }).success).toBe(false);
    expect(
      tlsSchema.safeParse({ fingerprint256: 'AB:'.repeat(31) + 'AB', serverName: 'x.example' }).success,
    ).toBe(false);
  });
});
