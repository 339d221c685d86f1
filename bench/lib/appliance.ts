import { request as httpsRequest } from 'node:https';
import { DsviewClient, type DsviewSession } from '../../shared/appliances/dsview/client.js';
import type { BenchContext } from './context.js';
import type { SimInfo } from './sim-host.js';

/** The broker's own appliance client used directly: the physical floor of one createTicket round trip. */
export async function directClient(
  ctx: BenchContext,
  sim: SimInfo,
  id = 'direct',
): Promise<{
  client: DsviewClient;
  session: () => DsviewSession;
  relogin(): Promise<void>;
  /** Logins this direct client made (to tell them from the broker's in appliance counters). */
  logins(): number;
}> {
  const client = new DsviewClient({ appliance: { id, baseUrl: sim.url, tls: { caPem: sim.certPem } } });
  ctx.defer(() => client.close());
  let logins = 1;
  let session = await client.login({ username: sim.username, password: sim.password });
  return {
    client,
    session: () => session,
    async relogin() {
      logins++;
      session = await client.login({ username: sim.username, password: sim.password });
    },
    logins: () => logins,
  };
}

/** One HTTPS call on a brand-new connection (no keep-alive, no TLS session reuse), as a script without a session object makes it. */
function freshCall(
  sim: SimInfo,
  method: string,
  path: string,
  options: { jwt?: string; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(path, sim.url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: false,
        ca: sim.certPem,
        checkServerIdentity: () => undefined,
        headers: {
          accept: 'application/json',
          ...(options.jwt ? { authorization: `Bearer ${options.jwt}` } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The vendor's way to open one console: log in, list the devices to find the target, create a ticket, each on a
 * new TLS connection (what a script that does not keep a session does). Answers the ticket.
 */
export async function vendorLaunch(sim: SimInfo, deviceId: string): Promise<string> {
  const login = await freshCall(sim, 'POST', '/api/v1/userSessions', {
    body: { username: sim.username, password: sim.password },
  });
  if (login.status !== 201) throw new Error(`vendor login answered ${login.status}`);
  const { jwt, user_session } = JSON.parse(login.body) as { jwt: string; user_session: { id: string } };
  const list = await freshCall(sim, 'GET', '/api/v1/devices', { jwt });
  if (list.status !== 200) throw new Error(`vendor list answered ${list.status}`);
  const { devices } = JSON.parse(list.body) as { devices: { id: string }[] };
  if (!devices.some((d) => d.id === deviceId)) throw new Error('vendor list misses the device');
  const ticket = await freshCall(sim, 'POST', `/api/v1/userSessions/${user_session.id}:createTicket`, {
    jwt,
  });
  if (ticket.status !== 200) throw new Error(`vendor ticket answered ${ticket.status}`);
  return (JSON.parse(ticket.body) as { ticket: string }).ticket;
}
