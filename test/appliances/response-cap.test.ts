import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DsviewClient } from '../../shared/appliances/dsview/client.js';
import { ApplianceProtocolError } from '../../shared/appliances/errors.js';
import { generateCertificate } from '../../simulators/certificate.js';

/**
 * Appliance answers are read up to a cap (issue 16): a device list of 10,000 devices fits, an answer of 50 MB is
 * refused as a bad response, whether it declares its length or streams it, and the broker stops reading.
 */
const TEN_THOUSAND = JSON.stringify({
  devices: Array.from({ length: 10_000 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    device_name: `rack${Math.floor(i / 40)}-host${i} KVM`,
    device_type_programmatic_name: 'ADX-IP-IQ',
    connection_path_info: [{ path_type: 'DCP_KVM_IP' }],
  })),
});
const MB = 1024 * 1024;

let server: Server;
let url: string;
let certPem: string;
let mode: 'devices' | 'declared' | 'streamed' = 'devices';
let streamedBytes = 0;

beforeAll(async () => {
  const cert = await generateCertificate('cap-test');
  certPem = cert.certPem;
  server = createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => {
    if (mode === 'devices') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(TEN_THOUSAND);
      return;
    }
    if (mode === 'declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MB) });
      res.write('{"devices":[');
      return; // never finishes: the declared length alone must be enough to refuse
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(MB, 0x20);
    const pump = () => {
      while (streamedBytes < 50 * MB) {
        streamedBytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = () =>
  new DsviewClient({
    appliance: { id: 'cap', baseUrl: url, tls: { caPem: certPem } },
    requestTimeoutMs: 10_000,
  });
const session = { userSessionId: 's', username: 'u', jwt: 'j', expiresAt: Date.now() + 60_000 };

describe('the answer size cap', () => {
  it('a device list of 10,000 devices fits', async () => {
    mode = 'devices';
    const c = client();
    try {
      expect(await c.listDevices(session, { types: ['ADX-IP-IQ'] })).toHaveLength(10_000);
    } finally {
      await c.close();
    }
  });

  it.each(['declared', 'streamed'] as const)(
    'a 50 MB answer (%s length) is refused as a bad response',
    async (how) => {
      mode = how;
      streamedBytes = 0;
      const c = client();
      try {
        const error = await c
          .listDevices(session, { types: ['ADX-IP-IQ'] })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ApplianceProtocolError);
        expect((error as Error).message).toMatch(/answered more than \d+ bytes; refused/);
        if (how === 'streamed') expect(streamedBytes).toBeLessThan(50 * MB);
      } finally {
        await c.close();
      }
    },
  );
});
