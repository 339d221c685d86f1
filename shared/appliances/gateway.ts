import type { Clock } from '../clock.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { SessionManager } from '../sessions/manager.js';
import type { ProviderClient, ProviderSession } from './provider.js';
import { type Appliance, providerOf } from './providers.js';
import { HttpsTransport, type TransportOptions } from './transport.js';

export interface GatewayOptions extends TransportOptions {
  registry: ApplianceRegistry;
  clock: Clock;
}

/**
 * The one path from a service to a console source: one long-lived client (one keep-alive pool) per appliance
 * registration, and `use` runs a call with a valid session. A changed registration (address, trust or kind)
 * replaces the client so a new certificate pin takes effect at once.
 */
export class ApplianceGateway {
  private readonly clients = new Map<string, { fingerprint: string; client: ProviderClient }>();
  private sessions: SessionManager | undefined;

  constructor(private readonly options: GatewayOptions) {}

  /** Wired after construction: the session manager logs in through `login` below. */
  attach(sessions: SessionManager): void {
    this.sessions = sessions;
  }

  /** Runs `call` with this appliance's client and a valid session; a refused session is replaced once. */
  use<T>(
    appliance: Appliance,
    call: (client: ProviderClient, session: ProviderSession) => Promise<T>,
  ): Promise<T> {
    const client = this.clientFor(appliance);
    if (!this.sessions) throw new Error('ApplianceGateway.attach(sessions) was not called');
    return this.sessions.withSession(appliance, (session) => call(client, session));
  }

  /** Logs in with the stored credentials, parsed with the kind's own schema. */
  async login(appliance: Appliance): Promise<ProviderSession> {
    const credentials = await this.options.registry.credentials(appliance);
    return this.clientFor(appliance).login(credentials);
  }

  /** The client for this appliance registration. */
  clientFor(appliance: Appliance): ProviderClient {
    const fingerprint = JSON.stringify(appliance);
    const existing = this.clients.get(appliance.id);
    if (existing?.fingerprint === fingerprint) return existing.client;
    if (existing) void existing.client.close().catch(() => undefined);
    const { registry: _registry, clock: _clock, ...transportOptions } = this.options;
    const transport = new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls, transportOptions);
    const client = providerOf(appliance.kind).client(appliance, transport);
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
