import type { ApplianceRegistry } from '../registry/appliances.js';
import type { SessionManager } from '../sessions/manager.js';
import { ApplianceTlsError } from './errors.js';
import type { Device, LaunchContext, ProviderClient, ProviderSession, ViewerRequest } from './provider.js';
import { type Appliance, providerOf } from './providers.js';
import { HttpsTransport, type TransportOptions } from './transport.js';

export interface GatewayOptions extends TransportOptions {
  registry: ApplianceRegistry;
  /** `ALLOW_INSECURE_APPLIANCES`: false refuses every appliance registered with `tls.insecure`. */
  allowInsecureTls: boolean;
}

/**
 * An appliance registered with `tls.insecure` in a deployment that does not allow it: 502 appliance-tls-failed
 * naming the setting, before any connection (the password would be sent to whoever answers).
 */
export class InsecureTlsRefusedError extends ApplianceTlsError {
  constructor(applianceId: string) {
    super(
      applianceId,
      'connect',
      'is registered with tls.insecure, which this deployment refuses (ALLOW_INSECURE_APPLIANCES is not true): ' +
        'pin its certificate (tls.caPem or tls.fingerprint256), or deploy with -c allowInsecureAppliances=true',
    );
  }
}

/**
 * The one path from a service to a console source: one long-lived client (one keep-alive pool) per appliance
 * registration, and `use` runs a call with a valid session. A changed registration (address, trust or kind)
 * replaces the client so a new certificate pin takes effect at once.
 */
export class ApplianceGateway {
  private readonly clients = new Map<
    string,
    { appliance: Appliance; fingerprint: string; client: ProviderClient }
  >();
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

  /** The source reference a launch will carry when its client knows it beforehand (see `expectedSourceRef`). */
  expectedSourceRef(appliance: Appliance, device: Device, request: ViewerRequest, context: LaunchContext) {
    return this.clientFor(appliance).expectedSourceRef?.(device, request, context);
  }

  /** Starts reading the appliance's stored session before its record is read (see `SessionManager.prefetch`). */
  prefetchSession(applianceId: string): void {
    this.sessions?.prefetch(applianceId);
  }

  /** Settles once this process is not obtaining a session for the appliance (see `SessionManager.settled`). */
  sessionSettled(applianceId: string): Promise<boolean> {
    return this.sessions?.settled(applianceId) ?? Promise.resolve(false);
  }

  /** Logs in with the stored credentials, parsed with the kind's own schema. */
  async login(appliance: Appliance): Promise<ProviderSession> {
    const credentials = await this.options.registry.credentials(appliance);
    return this.clientFor(appliance).login(credentials);
  }

  /** The client for this appliance registration; `InsecureTlsRefusedError` when its trust rule is refused. */
  clientFor(appliance: Appliance): ProviderClient {
    if (isInsecure(appliance) && !this.options.allowInsecureTls)
      throw new InsecureTlsRefusedError(appliance.id);
    const existing = this.clients.get(appliance.id);
    // The registry hands out the same record object while it is cached: a click needs no serialization.
    if (existing?.appliance === appliance) return existing.client;
    const fingerprint = JSON.stringify(appliance);
    if (existing?.fingerprint === fingerprint) {
      existing.appliance = appliance;
      return existing.client;
    }
    if (existing) void existing.client.close().catch(() => undefined);
    const { registry: _registry, allowInsecureTls: _allow, ...transportOptions } = this.options;
    const transport = new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls, transportOptions);
    const client = providerOf(appliance.kind).client(appliance, transport);
    this.clients.set(appliance.id, { appliance, fingerprint, client });
    return client;
  }

  /**
   * The appliances registered with `tls.insecure`, and whether they are used or refused, for the start-up log
   * (the local runtime; a Lambda may not list the registry, so its cold start logs the setting instead).
   */
  async insecureAppliances(): Promise<{ applianceIds: string[]; allowed: boolean }> {
    const all = await this.options.registry.list();
    return {
      applianceIds: all.filter(isInsecure).map((appliance) => appliance.id),
      allowed: this.options.allowInsecureTls,
    };
  }

  /** Ends a session at its source where the kind has a sign-out; false when it has none (best effort). */
  async signOut(applianceId: string, session: ProviderSession): Promise<boolean> {
    const client = this.clients.get(applianceId)?.client;
    if (!client?.logout) return false;
    await client.logout(session).catch(() => undefined);
    return true;
  }

  /** Closes every pool (tests and the local runtime's shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(({ client }) => client.close().catch(() => undefined)));
  }
}

const isInsecure = (appliance: Pick<Appliance, 'tls'>): boolean => 'insecure' in appliance.tls;
