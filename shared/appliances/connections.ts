import type { Clock } from '../clock.js';
import { DsviewClient } from './dsview/client.js';
import type { Appliance, ApplianceClient } from './types.js';

export interface ConnectionOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  clock: Clock;
  onInsecureTls?: (applianceId: string) => void;
}

/**
 * One long-lived client (and so one keep-alive pool) per appliance per process. A changed registration
 * (address or trust) replaces the client so a new certificate pin takes effect at once.
 */
export class ApplianceConnections {
  private readonly clients = new Map<string, { fingerprint: string; client: ApplianceClient }>();

  constructor(private readonly options: ConnectionOptions) {}

  /** The client for this appliance registration. */
  for(appliance: Appliance): ApplianceClient {
    const fingerprint = JSON.stringify([appliance.baseUrl, appliance.tls]);
    const existing = this.clients.get(appliance.id);
    if (existing?.fingerprint === fingerprint) return existing.client;
    if (existing) void existing.client.close().catch(() => undefined);
    const { onInsecureTls, ...timeouts } = this.options;
    const client = new DsviewClient({ appliance, ...timeouts, ...(onInsecureTls ? { onInsecureTls } : {}) });
    this.clients.set(appliance.id, { fingerprint, client });
    return client;
  }

  /** Closes every pool (tests and the local runtime's shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(({ client }) => client.close().catch(() => undefined)));
  }
}
