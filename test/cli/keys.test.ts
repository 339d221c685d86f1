import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealingKey } from '../../shared/crypto/index.js';
import {
  type BrokerKeyDocument,
  brokerKeysSource,
  parseKeyDocument,
  sessionKeyring,
} from '../../shared/secrets/broker-keys.js';
import { SecretStore } from '../../shared/secrets/store.js';
import { SessionStore } from '../../shared/sessions/store.js';
import { deviceOfType, mintTicket, startTestBroker, type TestBroker } from '../support/broker.js';
import { type CliRun, localTarget, runCliCaptured } from '../support/cli.js';

/** `keys rotate --session|--cursor` and `keys retire`: the documented rotation, against a running broker's state. */

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

function keysCli(...args: string[]): Promise<CliRun> {
  return runCliCaptured(['keys', ...args, ...localTarget(t)]);
}

async function secret(): Promise<BrokerKeyDocument> {
  const { SecretString } = await t.broker.secrets.client.send(
    new GetSecretValueCommand({ SecretId: t.keysSecretId }),
  );
  const document = parseKeyDocument(JSON.parse(String(SecretString)));
  if (!document) throw new Error('no key document');
  return document;
}
const idOf = (key: string) => sealingKey(Buffer.from(key, 'base64')).id;
const keysIn = (document: BrokerKeyDocument) =>
  [
    document.sessionKey,
    document.apiKeyPepper,
    document.cursorKey,
    ...(document.previousSessionKeys ?? []),
  ].filter((key): key is string => Boolean(key));

describe('keys', () => {
  it('rotate --session keeps the old key readable, a session sealed with it opens without a login', async () => {
    const device = deviceOfType(t.sim);
    expect((await mintTicket(t, device, t.keys.admin)).status).toBe(201);
    const before = await secret();

    const rotated = await keysCli('rotate', '--session');
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = await secret();
    expect(after.sessionKey).not.toBe(before.sessionKey);
    expect(after.previousSessionKeys).toEqual([before.sessionKey]);
    expect(after.apiKeyPepper).toBe(before.apiKeyPepper);
    expect(rotated.stdout).toContain(`session key: ${idOf(after.sessionKey)}`);
    expect(rotated.stdout).toContain(idOf(before.sessionKey));
    for (const key of keysIn(after)) expect(rotated.stdout).not.toContain(key);

    // A process that starts now reads the rotated secret and opens the session sealed before: no login.
    const freshProcess = new SessionStore(
      t.broker.table,
      sessionKeyring(brokerKeysSource(new SecretStore(t.broker.secrets.client), t.keysSecretId)),
      Date.now,
    );
    expect(await freshProcess.read(await t.broker.registry.get('lab'))).toBeDefined();
  });

  it('rotate --cursor gives cursors their own key; retire drops the previous session keys', async () => {
    const cursor = await keysCli('rotate', '--cursor');
    expect(cursor.code, cursor.stderr).toBe(0);
    const document = await secret();
    expect(document.cursorKey).toBeDefined();
    expect(cursor.stdout).toContain(`cursor key: ${idOf(document.cursorKey!)}`);

    const retired = await keysCli('retire');
    expect(retired.code, retired.stderr).toBe(0);
    expect((await secret()).previousSessionKeys).toBeUndefined();
    expect(retired.stdout).toContain('previous session keys (still readable): none');
  });

  it('rotate without saying which key is a usage error', async () => {
    const run = await keysCli('rotate');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--session, --cursor');
  });
});
