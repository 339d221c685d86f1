import type { IncomingMessage, ServerResponse } from 'node:http';
import { certificateFingerprint256 } from '../certificate.js';
import type { Reply } from './http.js';
import type { SimulatorServer } from './server.js';

/**
 * What every simulator exposes of the HTTPS server it runs on: its address and certificate, start and stop, and
 * the faults that act on the request loop. A vendor's class builds the server (its dispatch and error shape) and
 * keeps its routes, state and controls; this forwards to the server and splits test control routes from API
 * traffic, so the four cannot drift apart.
 */
export abstract class HostedSimulator<E extends string> {
  readonly certPem: string;
  readonly fingerprint256: string;

  protected abstract readonly server: SimulatorServer<E>;
  protected abstract readonly counters: { requests: number };

  constructor(cert: { certPem: string }) {
    this.certPem = cert.certPem;
    this.fingerprint256 = certificateFingerprint256(cert.certPem);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  setLatency(ms: number): void {
    this.server.latencyMs = ms;
  }

  failNext(count: number, opts?: { status?: number; endpoint?: E }): void {
    this.server.faults.failNext(count, opts);
  }

  garbageNext(count: number, opts?: { endpoint?: E }): void {
    this.server.faults.garbageNext(count, opts);
  }

  hang(on: boolean): void {
    this.server.hang(on);
  }

  listen(port: number): Promise<void> {
    return this.server.listen(port);
  }

  /** Stops listening and drops connections, keeping state; `up()` listens again on the same port. */
  down(): Promise<void> {
    return this.server.down();
  }

  up(): Promise<void> {
    return this.server.up();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /**
   * The server's `dispatch`: `/__sim/` routes go to the vendor's `control` and are never counted, since they are
   * no part of its API; every other request is counted and answered by the vendor. Undefined when parked by `hang`.
   */
  protected async dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined> {
    const url = new URL(req.url ?? '/', 'https://simulator.invalid');
    if (url.pathname.startsWith('/__sim/')) return this.control(req, url);
    this.counters.requests++;
    return this.answer(req, res, url);
  }

  /** The loopback-only test routes (see `answerControl`). */
  protected abstract control(req: IncomingMessage, url: URL): Promise<Reply>;

  /** Answers one API or page request in the vendor's wire shapes. */
  protected abstract answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | undefined>;
}
