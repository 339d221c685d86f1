import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { CertificatePair } from '../certificate.js';
import { type FaultControlBase, FaultQueue, type InjectedFault } from './faults.js';
import { isLoopbackAddress, type Problem, parseJsonObject, Rejection, type Reply, readBody } from './http.js';

export interface SimulatorServerOptions {
  host?: string;
  latencyMs?: number;
  cert: CertificatePair;
  /** Answers one request, or returns undefined when `admit` parked it. */
  dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined>;
  /** The vendor's answer to an unexpected error in a handler. */
  internalError(error: unknown): Reply;
  /** Counts a completed TLS handshake. */
  onTlsConnection(): void;
  /** Headers every answer carries, before the reply's own. */
  headers?: Record<string, string>;
}

/**
 * The HTTPS plumbing a simulator shares with the others: the request loop, the connections it must drop on
 * `down()`, requests parked by `hang`, latency and injected faults. The vendor keeps its routes and wire shapes.
 */
export class SimulatorServer<E extends string> {
  port = 0;
  readonly host: string;
  readonly faults = new FaultQueue<E>();
  latencyMs: number;

  private readonly server: Server;
  private readonly headers: Record<string, string>;
  private readonly sockets = new Set<Socket>();
  private readonly parked = new Set<ServerResponse>();
  private hanging = false;

  constructor(private readonly options: SimulatorServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.latencyMs = options.latencyMs ?? 0;
    this.headers = { 'cache-control': 'no-store', ...options.headers };
    this.server = createServer({ key: options.cert.keyPem, cert: options.cert.certPem }, (req, res) => {
      void this.handle(req, res);
    });
    // Clients are expected to reuse connections; a short timeout would hide a client that reconnects each call.
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', () => options.onTlsConnection());
  }

  /** `host:port` as a URL authority (IPv6 hosts bracketed). */
  get hostPort(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${host}:${this.port}`;
  }

  get url(): string {
    return `https://${this.hostPort}`;
  }

  /** Listens on `port` (0 picks one) and remembers the port, so `up()` after `down()` reuses it. */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops connections, keeping state; `up()` listens again on the same port. */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.releaseParked();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async up(): Promise<void> {
    if (!this.server.listening) await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.hanging = false;
    await this.down();
  }

  /** While on, API calls get no answer; turning it off drops the ones held, as a stalled server would. */
  hang(on: boolean): void {
    this.hanging = on;
    if (!on) this.releaseParked();
  }

  /** Applies the shared controls that act on the request loop: latency, hang and injected faults. */
  applyFaults(control: FaultControlBase<E>): void {
    if (control.latencyMs !== undefined) this.latencyMs = control.latencyMs;
    if (control.failNext) this.faults.failNext(control.failNext.count, control.failNext);
    if (control.garbageNext) this.faults.garbageNext(control.garbageNext.count, control.garbageNext);
    if (control.hang !== undefined) this.hang(control.hang);
  }

  /**
   * What an API call to `endpoint` meets before its handler runs: `parked` while hanging (answer nothing), an
   * injected fault to answer instead, or undefined to go on; latency applies to all but parked calls.
   */
  async admit(res: ServerResponse, endpoint: string): Promise<'parked' | InjectedFault | undefined> {
    if (this.hanging) {
      this.parked.add(res);
      res.once('close', () => this.parked.delete(res));
      return 'parked';
    }
    if (this.latencyMs > 0) await delay(this.latencyMs);
    return this.faults.take(endpoint);
  }

  private releaseParked(): void {
    for (const res of this.parked) res.socket?.destroy();
    this.parked.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply | undefined;
    try {
      reply = await this.options.dispatch(req, res);
    } catch (error) {
      reply = error instanceof Rejection ? error.reply : this.options.internalError(error);
    }
    if (!reply || res.destroyed || res.headersSent) return;
    const body = reply.body ?? '';
    res.writeHead(reply.status, {
      ...this.headers,
      ...reply.headers,
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }
}

export interface ControlRoutes<C> {
  counters: object;
  /** The vendor's error shape for control-route answers. */
  problem: Problem;
  /** Validates a faults body (vendor controls included); returns the reason when it is malformed. */
  parseFaults(body: Record<string, unknown>): C | string;
  applyFaults(control: C): void;
  /** Further `POST /__sim/<name>` routes of this vendor, keyed by path. */
  posts?: Record<string, (body: Record<string, unknown>) => Reply>;
}

/**
 * The loopback-only test routes: `GET /__sim/counters`, `POST /__sim/faults` and the vendor's own POST routes.
 * They are no part of any vendor API, so they answer in a plain shape and are never counted as requests.
 */
export async function answerControl<C>(
  req: IncomingMessage,
  url: URL,
  routes: ControlRoutes<C>,
): Promise<Reply> {
  const { problem } = routes;
  if (!isLoopbackAddress(req.socket.remoteAddress)) return problem(403, 'control routes are loopback-only');
  if (url.pathname === '/__sim/counters') {
    return req.method === 'GET' ? json(routes.counters) : problem(405, 'method not allowed');
  }
  const post =
    url.pathname === '/__sim/faults'
      ? (body: Record<string, unknown>): Reply => {
          const control = routes.parseFaults(body);
          if (typeof control === 'string') return problem(400, control);
          routes.applyFaults(control);
          return { status: 204 };
        }
      : routes.posts?.[url.pathname];
  if (!post) return problem(404, 'no such control route');
  if (req.method !== 'POST') return problem(405, 'method not allowed');
  const text = await readBody(req, () => problem(413, 'request body too large'));
  return post(parseJsonObject(text, problem));
}

function json(value: unknown): Reply {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}
