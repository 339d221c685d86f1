import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureKeys } from '../../infra/local/runtime.js';
import type { Appliance } from '../../shared/appliances/providers.js';
import { type Broker, createBroker } from '../../shared/broker.js';
import { readSettings } from '../../shared/config/settings.js';
import { sealingKey } from '../../shared/crypto/index.js';
import { putAppliance } from '../../shared/registry/admin.js';
import { type SessionEvent, SessionManager } from '../../shared/sessions/manager.js';
import { SessionStore } from '../../shared/sessions/store.js';
import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { useLocalAws } from '../support/aws.js';

let sim: DsviewSimulator;
let now = Date.now();
const clock = () => now;
const brokers: Broker[] = [];
let applianceSeq = 0;

/** Several brokers on one table stand in for several Lambda containers (each has its own memory). */
async function fleet(
  size: number,
): Promise<{ brokers: Broker[]; applianceId: string; appliance: Appliance }> {
  const settings = readSettings();
  const members = await Promise.all(Array.from({ length: size }, () => createBroker({ settings, clock })));
  brokers.push(...members);
  const applianceId = `sess-${++applianceSeq}`;
  await putAppliance(
    members[0]!,
    {
      id: applianceId,
      name: 'Session test',
      baseUrl: sim.url,
      kind: 'dsview',
      platform: 'MP1000',
      firmwareVersion: '3.33.8',
      tls: { caPem: sim.certPem },
    },
    { username: sim.username, password: sim.password },
  );
  return { brokers: members, applianceId, appliance: await members[0]!.registry.get(applianceId) };
}

beforeAll(async () => {
  await useLocalAws();
  const run = randomBytes(6).toString('hex');
  process.env.KEYS_SECRET_ID = `test/${run}/keys`;
  process.env.APPLIANCE_SECRET_PREFIX = `test/${run}/appliances/`;
  process.env.SESSION_REFRESH_MARGIN_SECONDS = '300';
  await ensureKeys(process.env.KEYS_SECRET_ID);
  sim = await startDsviewSimulator({ jwtTtlSeconds: 3600, maxSessions: 100 });
});
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  await sim?.close();
});

describe('single flight', () => {
  it('100 concurrent cold requests across 5 containers cause one login and share one session', async () => {
    const { brokers: members, appliance } = await fleet(5);
    const before = sim.counters.logins;
    const sessions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => members[i % members.length]!.sessions.get(appliance)),
    );
    expect(sim.counters.logins - before).toBe(1);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
  });

  it('a lease left by a crashed container is taken over once it expires', async () => {
    const { brokers: members, applianceId, appliance } = await fleet(1);
    const broker = members[0]!;
    await broker.table.doc.send(
      new PutCommand({
        TableName: broker.table.name,
        Item: {
          pk: `SESSION#${applianceId}`,
          sk: 'SESSION',
          owner: 'crashed',
          leaseUntil: now + 400,
        },
      }),
    );
    const before = sim.counters.logins;
    const started = Date.now();
    const pending = broker.sessions.get(appliance);
    await new Promise((resolve) => setTimeout(resolve, 150));
    now += 500;
    const session = await pending;
    expect(session.id).toBeTruthy();
    expect(sim.counters.logins - before).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('refresh ahead', () => {
  it('a session near expiry is served at once and renewed in the background', async () => {
    const { brokers: members, appliance } = await fleet(1);
    const broker = members[0]!;
    const first = await broker.sessions.get(appliance);
    const logins = sim.counters.logins;
    now = first.expiresAt - 200_000;
    const served = await broker.sessions.get(appliance);
    expect(served.id).toBe(first.id);
    // The renewal runs in the background: wait for it (bounded), however loaded the machine is.
    const renewed = await vi.waitFor(
      async () => {
        const current = await broker.sessions.get(appliance);
        expect(current.id).not.toBe(first.id);
        return current;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(renewed.id).not.toBe(first.id);
    expect(sim.counters.logins).toBe(logins + 1);
    now = Date.now();
  });

  it('`settled` waits for a cold login, not for a renewal while the current session serves', async () => {
    const { brokers: members, appliance } = await fleet(1);
    const broker = members[0]!;
    expect(await broker.sessions.settled(appliance.id)).toBe(false);
    const cold = broker.sessions.get(appliance);
    expect(await broker.sessions.settled(appliance.id)).toBe(true);
    const first = await cold;
    const logins = sim.counters.logins;
    now = first.expiresAt - 200_000;
    await broker.sessions.get(appliance); // starts the renewal in the background
    expect(await broker.sessions.settled(appliance.id)).toBe(false);
    await vi.waitFor(async () => expect(sim.counters.logins).toBe(logins + 1), {
      timeout: 10_000,
      interval: 20,
    });
    now = Date.now();
  });
});

describe('invalidation and storage', () => {
  it('drops a failed session only if it is still the stored one', async () => {
    const { brokers: members, applianceId, appliance } = await fleet(2);
    const [a, b] = members as [Broker, Broker];
    const old = await a.sessions.get(appliance);
    await a.sessions.invalidate(applianceId, old.id);
    const fresh = await b.sessions.get(appliance);
    expect(fresh.id).not.toBe(old.id);
    await a.sessions.invalidate(applianceId, old.id);
    const { Item } = await a.table.doc.send(
      new GetCommand({ TableName: a.table.name, Key: { pk: `SESSION#${applianceId}`, sk: 'SESSION' } }),
    );
    expect(Item?.sessionId).toBe(fresh.id);
  });

  it('stores the JWT sealed; a tampered seal means a new login, not a crash', async () => {
    const { brokers: members, applianceId, appliance } = await fleet(2);
    const [a, b] = members as [Broker, Broker];
    const session = await a.sessions.get(appliance);
    const key = { pk: `SESSION#${applianceId}`, sk: 'SESSION' };
    const { Item } = await a.table.doc.send(new GetCommand({ TableName: a.table.name, Key: key }));
    expect(JSON.stringify(Item)).not.toContain((session.state as { jwt: string }).jwt);
    expect(JSON.stringify(Item)).not.toContain((session.state as { jwt: string }).jwt.split('.')[1]!);
    await a.table.doc.send(
      new UpdateCommand({
        TableName: a.table.name,
        Key: key,
        UpdateExpression: 'SET stateSealed = :bad',
        ExpressionAttributeValues: { ':bad': `${String(Item?.stateSealed).slice(0, -4)}AAAA` },
      }),
    );
    const logins = sim.counters.logins;
    const recovered = await b.sessions.get(appliance);
    expect(recovered.id).not.toBe(session.id);
    expect(sim.counters.logins).toBe(logins + 1);
  });
});

describe('the keys secret', () => {
  it('one that cannot be read fails the call instead of logging in again at every click', async () => {
    const { brokers: members, appliance } = await fleet(1);
    await members[0]!.sessions.get(appliance); // a session is stored
    const logins = sim.counters.logins;
    const sessions = new SessionManager({
      login: (target) => members[0]!.gateway.login(target as Appliance),
      store: new SessionStore(
        members[0]!.table,
        async () => {
          throw new Error('secret store unavailable while reading a secret');
        },
        clock,
      ),
      clock,
      refreshMarginMs: 60_000,
    });
    await expect(sessions.get(appliance)).rejects.toThrow(/secret store unavailable/);
    expect(sim.counters.logins).toBe(logins);
  });
});

describe('storing a fresh login', () => {
  const itemOf = async (broker: Broker, applianceId: string, sk: string) =>
    (
      await broker.table.doc.send(
        new GetCommand({ TableName: broker.table.name, Key: { pk: `SESSION#${applianceId}`, sk } }),
      )
    ).Item;

  it('overlaps the first call and is done (session stored, lease freed) when that call returns', async () => {
    const { brokers: members, applianceId, appliance } = await fleet(1);
    const broker = members[0]!;
    const used = await broker.sessions.withSession(appliance, async (session) => session.id);
    const item = await itemOf(broker, applianceId, 'SESSION');
    expect(item?.sessionId).toBe(used);
    expect(item?.owner).toBeUndefined();
    expect(item?.leaseUntil).toBeUndefined();
  });

  it('a session the store refuses still serves the call, is reported, and frees the lease', async () => {
    const { brokers: members, applianceId, appliance } = await fleet(1);
    const broker = members[0]!;
    class UnwritableStore extends SessionStore {
      override async write(): Promise<void> {
        throw new Error('item too large');
      }
    }
    const events: SessionEvent[] = [];
    const sessions = new SessionManager({
      login: (target) => broker.gateway.login(target as Appliance),
      store: new UnwritableStore(
        broker.table,
        async () => ({ current: sealingKey(randomBytes(32)), previous: [] }),
        clock,
      ),
      clock,
      refreshMarginMs: 60_000,
      onEvent: (event) => events.push(event),
    });
    const used = await sessions.withSession(appliance, async (session) => session.id);
    expect(used).toBeTruthy();
    expect(events).toContainEqual({ type: 'store-failed', applianceId, reason: 'item too large' });
    expect((await itemOf(broker, applianceId, 'SESSION'))?.leaseUntil).toBeUndefined();
    // The process keeps using its session rather than logging in again.
    const logins = sim.counters.logins;
    expect(await sessions.withSession(appliance, async (session) => session.id)).toBe(used);
    expect(sim.counters.logins).toBe(logins);
  });
});
