import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ApplianceAuthError } from '../../shared/appliances/errors.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { sealingKey } from '../../shared/crypto/index.js';
import { SessionManager } from '../../shared/sessions/manager.js';
import { SessionStore } from '../../shared/sessions/store.js';
import { createTable, type Table } from '../../shared/store/dynamo.js';
import { useLocalAws } from '../support/aws.js';
import { fakeAppliance, fakeSource } from '../support/fake-provider.js';

/**
 * The session algorithm (memory → DynamoDB → one leased login; retry once after a refused session; a refused
 * login held for everyone) against an in-memory source, so it is proven without any vendor's rules.
 */
let table: Table;
beforeAll(async () => {
  const aws = await useLocalAws();
  table = createTable(aws.tableName, aws.dynamodb);
});

function setup(processes: number) {
  const source = fakeSource();
  const appliance = fakeAppliance(`fake-${randomBytes(4).toString('hex')}`);
  const key = randomBytes(32);
  const transport = new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls);
  const client = source.provider.client(appliance, transport);
  const managers = Array.from(
    { length: processes },
    () =>
      new SessionManager({
        login: () => client.login({ token: 't' }),
        store: new SessionStore(
          table,
          async () => ({ current: sealingKey(key), previous: [] }),
          Date.now,
          () => source.provider.schemas.state,
        ),
        clock: Date.now,
        refreshMarginMs: 60_000,
        authFailureHoldMs: 30_000,
        onReplaced: (_appliance, old) => void client.logout?.(old as never),
      }),
  );
  const launch = (manager: SessionManager) =>
    manager.withSession(appliance, (session) =>
      client.launch(
        session as never,
        { id: 'fake-1', name: '', type: '', connectionPaths: [], viewerTypes: [] },
        { viewerType: 'FAKE' },
        { clientId: 'c' },
      ),
    );
  const signOut = async (_id: string, session: unknown) => {
    await client.logout?.(session as never);
    return true;
  };
  return { source, appliance, managers, launch, signOut };
}

describe('the session algorithm on an in-memory source', () => {
  it('60 concurrent cold calls across 6 processes share one login', async () => {
    const { source, managers, launch } = setup(6);
    source.loginDelayMs = 50;
    await Promise.all(Array.from({ length: 60 }, (_, i) => launch(managers[i % managers.length]!)));
    expect(source.counters.logins).toBe(1);
    expect(source.counters.launches).toBe(60);
  });

  it('a session the source forgot costs one login and the call succeeds, once for all processes', async () => {
    const { source, managers, launch } = setup(3);
    await Promise.all(managers.map(launch));
    source.forgetAllSessions();
    await launch(managers[0]!);
    expect(source.counters.logins).toBe(2);
    await Promise.all(managers.map(launch));
    expect(source.counters.logins).toBe(2);
  });

  it('a refused login is held for every process instead of being retried in a storm', async () => {
    const { source, managers, launch } = setup(3);
    source.refuseLogins(true);
    const results = await Promise.allSettled(managers.map(launch));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ApplianceAuthError);
    }
    expect(source.counters.logins).toBe(0);
    source.refuseLogins(false);
    await expect(launch(managers[1]!)).rejects.toBeInstanceOf(ApplianceAuthError);
    expect(source.counters.logins).toBe(0);
  });

  it('a refresh that replaces a working session signs the old one out; a clean shutdown signs out what it holds', async () => {
    const { source, managers, launch, signOut } = setup(2);
    source.sessionTtlMs = 30_000; // inside the 60 s refresh margin: every use starts a renewal
    await launch(managers[0]!);
    await launch(managers[0]!);
    await vi.waitFor(() => expect(source.counters.signOuts).toBe(1));
    expect(source.counters.logins).toBe(2);
    source.sessionTtlMs = 3_600_000;
    await managers[1]!.signOutAll(signOut);
    await managers[0]!.signOutAll(signOut);
    expect(source.counters.signOuts).toBeGreaterThanOrEqual(2);
    // The shared store no longer offers the signed-out session: the next caller logs in afresh.
    const logins = source.counters.logins;
    await launch(managers[1]!);
    expect(source.counters.logins).toBe(logins + 1);
  });
});
