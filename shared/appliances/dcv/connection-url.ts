import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../../clock.js';
import { type DcvServer, HOST_NAME } from './schemas.js';

/** DCV's own default port, where the guide's examples and a fresh server listen. */
export const DCV_DEFAULT_PORT = 8443;

/** Where a browser (or the native client) reaches a DCV session's web client. */
export interface WebClientAddress {
  host: string;
  port: number;
  webUrlPath: string;
}

/**
 * The web client URL: `<scheme>://<host>:<port><WebUrlPath>?authToken=<token>#<sessionId>`. The host is a
 * validated DNS name or IP literal (never text the URL parser could read as user info or another host), and
 * the path, query and fragment go through `URL`'s own encoding. The port is always written: `dcv://` has no
 * default port, and DCV's is 8443, not 443.
 */
export function connectionUrl(
  scheme: 'https' | 'dcv',
  address: WebClientAddress,
  sessionId: string,
  token?: string,
): string {
  const { host, port } = address;
  if (!isIP(host) && !HOST_NAME.test(host)) throw new Error('connectionUrl: not a host name or IP address');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error('connectionUrl: not a port');
  const tail = new URL('https://placeholder.invalid');
  tail.pathname = address.webUrlPath.startsWith('/') ? address.webUrlPath : '/';
  if (token !== undefined) tail.searchParams.set('authToken', token);
  tail.hash = sessionId;
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return `${scheme}://${hostPart}:${port}${tail.pathname}${tail.search}${tail.hash}`;
}

/** The server's port: `Server.Port` (a string in the model), else its first HTTP endpoint's, else 8443. */
export function serverPort(server: DcvServer): number {
  const candidates = [server.Port, server.Endpoints?.find((e) => e.Protocol === 'HTTP')?.Port];
  for (const candidate of candidates) {
    const port = Number(candidate);
    if (candidate !== undefined && /^\d{1,5}$/.test(String(candidate)) && port >= 1 && port <= 65_535) {
      return port;
    }
  }
  return DCV_DEFAULT_PORT;
}

export type Lookup = (hostname: string) => Promise<string[]>;

const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((entry) => entry.address);

export interface HostChooserOptions {
  /** A lookup slower than this counts as "does not resolve"; default 500 ms (it is on the click path). */
  lookupTimeoutMs?: number;
  /** How long an answer (or a failure) is reused; default 5 min. */
  cacheMs?: number;
  lookup?: Lookup;
  clock?: Clock;
}

const CACHE_MAX = 1024;

/**
 * Chooses the host a browser is sent to for a DCV server without a gateway: `Server.Hostname` when it
 * resolves, here, to the `Server.Ip` the Session Manager reported (so certificates issued for the name
 * match and the name is known to lead to that server), else `Server.Ip`. Answers are cached so a warm click
 * costs no lookup, and a lookup is bounded in time so a slow resolver cannot hold a click.
 */
export class HostChooser {
  private readonly cache = new Map<string, { addresses: string[]; until: number }>();
  private readonly lookupTimeoutMs: number;
  private readonly cacheMs: number;
  private readonly lookup: Lookup;
  private readonly clock: Clock;

  constructor(options: HostChooserOptions = {}) {
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 500;
    this.cacheMs = options.cacheMs ?? 5 * 60_000;
    this.lookup = options.lookup ?? systemLookup;
    this.clock = options.clock ?? systemClock;
  }

  /** The host for `server`, or undefined when it reports neither a usable IP nor a usable name. */
  async choose(server: DcvServer): Promise<string | undefined> {
    const ip = server.Ip && isIP(server.Ip) ? server.Ip : undefined;
    const name = server.Hostname && HOST_NAME.test(server.Hostname) ? server.Hostname : undefined;
    if (!ip || !name || isIP(name)) return ip ?? name;
    const addresses = await this.resolve(name);
    return addresses.some((address) => address.toLowerCase() === ip.toLowerCase()) ? name : ip;
  }

  private async resolve(name: string): Promise<string[]> {
    const now = this.clock();
    const cached = this.cache.get(name);
    if (cached && cached.until > now) return cached.addresses;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), this.lookupTimeoutMs);
      timer.unref();
    });
    const addresses = await Promise.race([this.lookup(name).catch(() => [] as string[]), timeout]);
    clearTimeout(timer);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(name, { addresses, until: now + this.cacheMs });
    return addresses;
  }
}
