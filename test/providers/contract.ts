import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKeys } from '../../infra/local/runtime.js';
import {
  ApplianceAuthError,
  ApplianceProtocolError,
  ApplianceTimeoutError,
  ApplianceTlsError,
} from '../../shared/appliances/errors.js';
import type { Device, Launch, ProviderClient, ViewerRequest } from '../../shared/appliances/provider.js';
import { type Appliance, applianceSchema, providerOf } from '../../shared/appliances/providers.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { type Broker, createBroker } from '../../shared/broker.js';
import { readSettings } from '../../shared/config/settings.js';
import { putAppliance } from '../../shared/registry/admin.js';
import { useLocalAws } from '../support/aws.js';

/** Fault names every simulator understands (each maps its own endpoints onto these). */
export type ContractEndpoint = 'login' | 'list' | 'launch';

/** What the contract needs of a source's simulator; every simulator in simulators/ offers it. */
export interface ContractSimulator {
  url: string;
  certPem: string;
  counters: { logins: number };
  applyFaults(control: {
    hang?: boolean;
    garbageNext?: { count: number; endpoint?: string };
    forgetAllSessions?: true;
  }): void;
  /** Every credential it handed out: none may appear in an error message. */
  secretsIssued(): string[];
  close(): Promise<void>;
}

export interface ProviderContractSpec<S extends ContractSimulator> {
  kind: string;
  start(): Promise<S>;
  /** The configuration entry the operator would write for this simulator (record fields and `credentials`). */
  appliance(sim: S): Record<string, unknown> & { credentials: Record<string, string> };
  /** One launch per viewer type the kind offers, on devices the simulator lists, and the answer expected. */
  launches(devices: Device[]): { deviceId: string; request: ViewerRequest; expect: Launch['kind'] }[];
  /** The simulator's name for an endpoint where it differs (DSView calls the launch call `ticket`). */
  endpoint?: (name: ContractEndpoint) => string;
}

const WRONG_PIN = Array.from({ length: 32 }, () => 'AB').join(':');

/**
 * The suite every provider passes against its own simulator (written from the vendor's document, not from our
 * client): login → list → launch of each viewer type; a forgotten session costs one login and no error; a hang
 * is a timeout; garbage is a protocol error; a wrong pin is a TLS error; no secret in any error; every URL a
 * launch answers with points at the registered source.
 */
export function describeProvider<S extends ContractSimulator>(spec: ProviderContractSpec<S>): void {
  const provider = providerOf(spec.kind);
  const endpoint = spec.endpoint ?? ((name: ContractEndpoint) => name);

  describe(`provider contract: ${spec.kind}`, () => {
    let sim: S;
    let appliance: Appliance;
    let credentials: Record<string, string>;
    const clients: ProviderClient[] = [];
    const messages: string[] = [];

    const clientFor = (record: Appliance, requestTimeoutMs = 2_000) => {
      const transport = new HttpsTransport(record.id, record.baseUrl, record.tls, {
        connectTimeoutMs: 2_000,
        requestTimeoutMs,
      });
      const client = provider.client(record, transport);
      clients.push(client);
      return client;
    };
    /** Awaits a failure of the expected class and keeps its message for the secrets check. */
    const failure = async (work: Promise<unknown>, type: new (...args: never[]) => Error) => {
      const error = await work.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(type);
      messages.push((error as Error).message);
      return error as Error;
    };

    beforeAll(async () => {
      sim = await spec.start();
      const { credentials: secret, ...record } = spec.appliance(sim);
      appliance = applianceSchema.parse({ id: `contract-${spec.kind}`, ...record });
      credentials = provider.schemas.credentials.parse(secret) as Record<string, string>;
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await sim?.close();
    });

    it('logs in, lists every device, and launches each viewer type as it declares', async () => {
      const client = clientFor(appliance);
      const session = await client.login(credentials);
      expect(session.expiresAt).toBeGreaterThan(Date.now());
      expect(JSON.stringify({ id: session.id, principal: session.principal })).not.toContain(
        JSON.stringify(session.state).slice(1, -1),
      );
      const listing = await client.listDevices(session);
      expect(listing.complete).toBe(true);
      expect(listing.devices.length).toBeGreaterThan(0);
      for (const device of listing.devices) {
        for (const viewer of device.viewerTypes) expect(provider.viewerTypes).toContain(viewer);
      }
      const cases = spec.launches(listing.devices);
      const declared = new Set(cases.map((c) => c.request.viewerType));
      for (const viewer of provider.viewerTypes) expect(declared, `a case for ${viewer}`).toContain(viewer);
      const host = new URL(sim.url).hostname;
      for (const { deviceId, request, expect: kind } of cases) {
        const device = listing.devices.find((candidate) => candidate.id === deviceId);
        expect(device, deviceId).toBeDefined();
        expect(provider.validate(device!, appliance, request)).toEqual([]);
        const launch = await client.launch(session, device!, request, { clientId: 'contract' });
        expect(launch.kind, `${request.viewerType} on ${deviceId}`).toBe(kind);
        if (launch.kind === 'redirect') expect(new URL(launch.location).hostname).toBe(host);
        if (launch.kind !== 'pending') expect(launch.expiresAt).toBeGreaterThan(Date.now());
      }
      expect(
        new URL(provider.fallbackUrl(appliance, { id: cases[0]!.deviceId }, cases[0]!.request)).protocol,
      ).toBe('https:');
    });

    it('refuses another kind’s launch fields and viewer types the device does not offer, naming the field', () => {
      const device: Device = { id: 'd', name: 'd', type: 'X', connectionPaths: [], viewerTypes: [] };
      const errors = provider.validate(device, appliance, { viewerType: provider.viewerTypes[0]! });
      expect(errors.map((error) => error.field)).toContain('viewerType');
    });

    it('a hang is a timeout within the call budget', async () => {
      const client = clientFor(appliance, 400);
      const session = await client.login(credentials);
      sim.applyFaults({ hang: true });
      try {
        const started = Date.now();
        await failure(client.listDevices(session), ApplianceTimeoutError);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        sim.applyFaults({ hang: false });
      }
    });

    it('an answer that is not the documented shape is a protocol error', async () => {
      const client = clientFor(appliance);
      const session = await client.login(credentials);
      const [first] = spec.launches((await client.listDevices(session)).devices);
      sim.applyFaults({ garbageNext: { count: 1, endpoint: endpoint('list') } });
      await failure(client.listDevices(session), ApplianceProtocolError);
      expect(first).toBeDefined();
    });

    it('a certificate other than the pinned one is a TLS error, before any credential is sent', async () => {
      const pinned = applianceSchema.parse({ ...appliance, tls: { fingerprint256: WRONG_PIN } });
      const logins = sim.counters.logins;
      await failure(clientFor(pinned).login(credentials), ApplianceTlsError);
      expect(sim.counters.logins).toBe(logins);
    });

    it('refused credentials are an auth error at login', async () => {
      const [secretField] = provider.secretFields;
      const wrong = { ...credentials, [secretField!]: `wrong-${randomBytes(8).toString('hex')}` };
      const error = await failure(clientFor(appliance).login(wrong), ApplianceAuthError);
      expect((error as ApplianceAuthError).step).toBe('login');
    });

    describe('through the broker (sessions shared in DynamoDB)', () => {
      let broker: Broker;
      beforeAll(async () => {
        await useLocalAws();
        const run = randomBytes(6).toString('hex');
        process.env.KEYS_SECRET_ID = `test/${run}/keys`;
        process.env.APPLIANCE_SECRET_PREFIX = `test/${run}/appliances/`;
        await ensureKeys(process.env.KEYS_SECRET_ID);
        broker = await createBroker({ settings: readSettings() });
        await putAppliance(broker, appliance, credentials);
      });
      afterAll(async () => broker?.close());

      it('a session the source forgot costs exactly one new login and no error', async () => {
        const devices = await broker.devices.list(appliance.id);
        const [first] = spec.launches(devices);
        const device = devices.find((candidate) => candidate.id === first!.deviceId)!;
        const launch = () =>
          broker.tickets.launch(appliance, device, first!.request, { clientId: 'contract' });
        await launch();
        const logins = sim.counters.logins;
        sim.applyFaults({ forgetAllSessions: true });
        const again = await launch();
        expect(again.kind).toBe(first!.expect);
        expect(sim.counters.logins - logins).toBe(1);
        await launch();
        expect(sim.counters.logins - logins).toBe(1);
      });
    });

    it('no error message carries a credential the source issued or the broker holds', () => {
      const secrets = [...sim.secretsIssued(), ...provider.secretFields.map((field) => credentials[field]!)];
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) {
        for (const secret of secrets.filter((value) => value && value.length >= 8)) {
          expect(message).not.toContain(secret);
        }
      }
    });
  });
}
