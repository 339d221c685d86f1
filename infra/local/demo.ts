import { randomBytes } from 'node:crypto';
import type { Broker } from '../../shared/broker.js';
import type { ConfigFile } from '../../shared/config/file.js';
import type { CreateLinkInput } from '../../shared/links/link-service.js';
import { removeAppliance } from '../../shared/registry/admin.js';
import { startDcvSimulator } from '../../simulators/dcv/simulator.js';
import { startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { startPasswordSafeSimulator } from '../../simulators/password-safe/simulator.js';
import { startVcenterSimulator } from '../../simulators/vcenter/simulator.js';

/** The API client demo mode creates; its key is printed in the banner. */
export const DEMO_CLIENT_ID = 'demo';
/** Every demo appliance's name starts so, which is how a later start tells demo leftovers from real entries. */
export const DEMO_NAME_PREFIX = 'Demo ';

type ApplianceEntry = ConfigFile['appliances'][number];

/** What the banner says about one simulated source. */
export interface DemoSourceFacts {
  kind: string;
  applianceId: string;
  name: string;
  url: string;
  username: string;
  password: string;
  /** What the source calls the two (DCV: client id and secret; Password Safe: run-as user and API key). */
  labels?: { username: string; password: string };
  fingerprint256: string;
  /**
   * The banner line's label: `demo launch link` (wave 1's contract) for DSView, which also gets `demo dsview link`;
   * `demo <kind> link` for the rest.
   */
  linkLabel: string;
  /** The link request the banner's ready-to-paste `curl` and the start-up link use. */
  link?: CreateLinkInput;
}

/** One simulated source, running. */
export interface StartedDemoSource {
  appliance: ApplianceEntry;
  facts: DemoSourceFacts;
  close(): Promise<void>;
}

/** How to start one kind of simulated source for demo mode. */
export interface DemoSourceDefinition {
  kind: string;
  /** Fixed, so a later start can find what this source registered. */
  applianceId: string;
  start(): Promise<StartedDemoSource>;
}

const dsview: DemoSourceDefinition = {
  kind: 'dsview',
  applianceId: 'demo',
  async start() {
    const simulator = await startDsviewSimulator({ host: '127.0.0.1', port: 0 });
    const kvmDevice = simulator.devices.find(
      (device) => device.device_type_programmatic_name === 'ADX-IP-IQ',
    );
    const appliance: ApplianceEntry = {
      kind: 'dsview',
      id: this.applianceId,
      name: `${DEMO_NAME_PREFIX}DSView (simulated MP1000)`,
      baseUrl: simulator.url,
      platform: 'MP1000',
      firmwareVersion: '3.33.8',
      credentials: { username: simulator.username, password: simulator.password },
      tls: { fingerprint256: simulator.fingerprint256 },
    };
    return {
      appliance,
      facts: {
        kind: 'dsview',
        applianceId: appliance.id,
        name: appliance.name,
        url: simulator.url,
        username: simulator.username,
        password: simulator.password,
        fingerprint256: simulator.fingerprint256,
        linkLabel: 'demo launch link',
        ...(kvmDevice
          ? { link: { applianceId: appliance.id, deviceId: kvmDevice.id, viewerType: 'KVM' } }
          : {}),
      },
      close: () => simulator.close(),
    };
  },
};

/** WIN-DC01\Administrator: an RDP account, released at once because demo mode has no approver at hand. */
const PASSWORD_SAFE_DEMO_ACCOUNT = '1.11';

const passwordSafe: DemoSourceDefinition = {
  kind: 'password-safe',
  applianceId: 'demo-password-safe',
  async start() {
    // A short throwaway key keeps the banner line readable (the product's are 128 characters).
    const simulator = await startPasswordSafeSimulator({
      host: '127.0.0.1',
      port: 0,
      apiKey: randomBytes(16).toString('hex'),
    });
    for (const account of simulator.accounts) {
      simulator.setApprovalRequired(`${account.systemId}.${account.accountId}`, false);
    }
    const { apiKey = '', runAs = '' } = simulator.credentials;
    const appliance: ApplianceEntry = {
      kind: 'password-safe',
      id: this.applianceId,
      name: `${DEMO_NAME_PREFIX}Password Safe (simulated)`,
      baseUrl: simulator.baseUrl,
      credentials: { apiKey, runAs },
      tls: { fingerprint256: simulator.fingerprint256 },
    };
    return {
      appliance,
      facts: {
        kind: 'password-safe',
        applianceId: appliance.id,
        name: appliance.name,
        url: simulator.baseUrl,
        username: runAs,
        password: apiKey,
        labels: { username: 'run as', password: 'api key' },
        fingerprint256: simulator.fingerprint256,
        linkLabel: 'demo password-safe link',
        link: { applianceId: appliance.id, deviceId: PASSWORD_SAFE_DEMO_ACCOUNT, viewerType: 'RDP' },
      },
      close: () => simulator.close(),
    };
  },
};

/** web01, powered on: a VMRC link (the demo has no HTML Console SDK to host, so no WEBMKS). */
const VCENTER_DEMO_VM = 'vm-42';

const vcenter: DemoSourceDefinition = {
  kind: 'vcenter',
  applianceId: 'demo-vcenter',
  async start() {
    const simulator = await startVcenterSimulator({ host: '127.0.0.1', port: 0 });
    const { username, password } = simulator.credentials;
    const appliance: ApplianceEntry = {
      kind: 'vcenter',
      id: this.applianceId,
      name: `${DEMO_NAME_PREFIX}vCenter (simulated)`,
      baseUrl: simulator.url,
      credentials: { username, password },
      tls: { fingerprint256: simulator.fingerprint256 },
    };
    return {
      appliance,
      facts: {
        kind: 'vcenter',
        applianceId: appliance.id,
        name: appliance.name,
        url: simulator.url,
        username,
        password,
        fingerprint256: simulator.fingerprint256,
        linkLabel: 'demo vcenter link',
        link: { applianceId: appliance.id, deviceId: VCENTER_DEMO_VM, viewerType: 'VMRC' },
      },
      close: () => simulator.close(),
    };
  },
};

/** The first READY session: a DCV link opens its web client (the simulator serves it) as the session owner. */
const dcv: DemoSourceDefinition = {
  kind: 'dcv',
  applianceId: 'demo-dcv',
  async start() {
    const simulator = await startDcvSimulator({ host: '127.0.0.1', port: 0 });
    const ready = simulator.sessions.find((session) => session.State === 'READY');
    const { clientId, clientSecret } = simulator.credentials;
    const appliance: ApplianceEntry = {
      kind: 'dcv',
      id: this.applianceId,
      name: `${DEMO_NAME_PREFIX}DCV Session Manager (simulated)`,
      baseUrl: simulator.url,
      credentials: { clientId, clientSecret },
      tls: { fingerprint256: simulator.fingerprint256 },
    };
    return {
      appliance,
      facts: {
        kind: 'dcv',
        applianceId: appliance.id,
        name: appliance.name,
        url: simulator.url,
        username: clientId,
        password: clientSecret,
        labels: { username: 'client id', password: 'client secret' },
        fingerprint256: simulator.fingerprint256,
        linkLabel: 'demo dcv link',
        ...(ready ? { link: { applianceId: appliance.id, deviceId: ready.Id, viewerType: 'DCV' } } : {}),
      },
      close: () => simulator.close(),
    };
  },
};

/** The simulated sources demo mode starts, one per kind, in banner order. */
export const DEMO_SOURCES: readonly DemoSourceDefinition[] = [dsview, vcenter, dcv, passwordSafe];

/** Demo mode, running: its sources, its client's key and the configuration that registers them. */
export interface Demo {
  apiKey: string;
  sources: StartedDemoSource[];
  config(listenUrl: string): ConfigFile;
  /** One launch link per source that has a link request, as `[label, url]` in banner order. */
  createLinks(broker: Pick<Broker, 'links'>): Promise<[string, string][]>;
  close(): Promise<void>;
}

export async function startDemo(definitions: readonly DemoSourceDefinition[] = DEMO_SOURCES): Promise<Demo> {
  const sources: StartedDemoSource[] = [];
  const close = async () => {
    for (const source of sources) await source.close().catch(() => undefined);
  };
  try {
    for (const definition of definitions) sources.push(await definition.start());
  } catch (error) {
    await close();
    throw error;
  }
  const apiKey = `demo_${randomBytes(24).toString('base64url')}`;
  const applianceIds = sources.map((source) => source.appliance.id);
  return {
    apiKey,
    sources,
    config: (listenUrl) => ({
      publicBaseUrl: listenUrl,
      appliances: sources.map((source) => source.appliance),
      clients: [
        {
          id: DEMO_CLIENT_ID,
          apiKey,
          scopes: ['devices:read', 'tickets:create', 'links:create', 'admin'],
          appliances: ['*'],
        },
      ],
    }),
    async createLinks(broker) {
      const principal = {
        clientId: DEMO_CLIENT_ID,
        scopes: ['links:create' as const],
        appliances: applianceIds,
      };
      const links: [string, string][] = [];
      for (const { facts } of sources) {
        if (!facts.link) continue;
        const created = await broker.links.create(principal, facts.link);
        links.push([facts.linkLabel, created.url]);
        // Wave 2's contract prints `demo <kind> link:` for every kind; DSView's link keeps wave 1's label too.
        const kindLabel = `demo ${facts.kind} link`;
        if (facts.linkLabel !== kindLabel) links.push([kindLabel, created.url]);
      }
      return links;
    },
    close,
  };
}

/**
 * Removes what demo mode once wrote into a store that now serves a real configuration (a persisted data dir or
 * shared engines from before demo mode kept to memory): the demo appliances, recognised by id and name, and the
 * demo client, unless the configuration defines them itself. Returns what it removed, for the banner.
 */
export async function removeDemoLeftovers(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'clients' | 'sessions' | 'inventory'>,
  config: ConfigFile | undefined,
): Promise<string[]> {
  const configured = new Set(config?.appliances.map((appliance) => appliance.id));
  const demoIds = new Set(DEMO_SOURCES.map((source) => source.applianceId));
  const leftovers = (await broker.registry.list()).filter(
    (appliance) =>
      demoIds.has(appliance.id) &&
      appliance.name.startsWith(DEMO_NAME_PREFIX) &&
      !configured.has(appliance.id),
  );
  const removed: string[] = [];
  for (const appliance of leftovers) {
    await removeAppliance(broker, appliance.id);
    removed.push(`appliance ${appliance.id}`);
  }
  const clientConfigured = config?.clients.some((client) => client.id === DEMO_CLIENT_ID) ?? false;
  if (removed.length && !clientConfigured) {
    const clients = await broker.clients.list();
    if (clients.some((client) => client.id === DEMO_CLIENT_ID)) {
      await broker.clients.revoke(DEMO_CLIENT_ID);
      removed.push(`client ${DEMO_CLIENT_ID}`);
    }
  }
  return removed;
}
