import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApplianceBase } from '../../shared/appliances/provider.js';
import {
  deriveKey,
  type Keyring,
  seal,
  sealingKey,
  sealWith,
  UnknownSealingKeyError,
  unsealWith,
} from '../../shared/crypto/index.js';
import { CursorCodec } from '../../shared/pagination/cursor.js';
import {
  brokerKeysOf,
  generateBrokerKeys,
  retirePreviousSessionKeys,
  rotateCursorKey,
  rotateSessionKey,
} from '../../shared/secrets/broker-keys.js';
import { SessionStore } from '../../shared/sessions/store.js';
import { createTable, type Table } from '../../shared/store/dynamo.js';
import { useLocalAws } from '../support/aws.js';

/** Review L7: sealed state names its key, rotation keeps the old key readable, the cursor key is its own. */

const ring = (current: Buffer, ...previous: Buffer[]): Keyring => ({
  current: sealingKey(current),
  previous: previous.map(sealingKey),
});

describe('sealing with a keyring', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('names the key, opens with a previous key after rotation, and says it was not the current one', () => {
    const sealed = sealWith(ring(oldKey), 'state', 'ctx');
    expect(sealed.split('.')[1]).toBe(sealingKey(oldKey).id);
    expect(unsealWith(ring(oldKey), sealed, 'ctx')).toEqual({ plaintext: 'state', current: true });
    expect(unsealWith(ring(newKey, oldKey), sealed, 'ctx')).toEqual({ plaintext: 'state', current: false });
  });

  it('refuses a key it does not hold with a typed error, and another context', () => {
    const sealed = sealWith(ring(newKey), 'state', 'ctx');
    expect(() => unsealWith(ring(oldKey), sealed, 'ctx')).toThrow(UnknownSealingKeyError);
    expect(() => unsealWith(ring(newKey), sealed, 'other')).toThrow();
  });

  it('still opens values sealed before key ids (v1), with the current or a previous key', () => {
    const legacy = seal(oldKey, 'state', 'ctx');
    expect(unsealWith(ring(oldKey), legacy, 'ctx').plaintext).toBe('state');
    expect(unsealWith(ring(newKey, oldKey), legacy, 'ctx')).toEqual({ plaintext: 'state', current: false });
  });

  it('key ids reveal nothing of the key and differ between keys', () => {
    expect(sealingKey(oldKey).id).not.toBe(sealingKey(newKey).id);
    expect(oldKey.toString('base64url')).not.toContain(sealingKey(oldKey).id);
  });
});

describe('the keys document', () => {
  it('a document from before cursorKey signs cursors with a derived key, not the pepper', () => {
    const { cursorKey: _none, ...legacy } = generateBrokerKeys();
    const keys = brokerKeysOf(legacy);
    const pepper = Buffer.from(legacy.apiKeyPepper, 'base64');
    expect(keys.cursorKey.equals(pepper)).toBe(false);
    expect(keys.cursorKey.equals(deriveKey(pepper, 'page cursors'))).toBe(true);
    // Stable across loads: cursors survive a restart.
    expect(brokerKeysOf(legacy).cursorKey.equals(keys.cursorKey)).toBe(true);
  });

  it('session rotation keeps the old keys readable (two at most) until retired', () => {
    const first = generateBrokerKeys();
    const second = rotateSessionKey(first);
    expect(second.previousSessionKeys).toEqual([first.sessionKey]);
    expect(second.apiKeyPepper).toBe(first.apiKeyPepper);
    const fourth = rotateSessionKey(rotateSessionKey(second));
    expect(fourth.previousSessionKeys).toHaveLength(2);
    expect(retirePreviousSessionKeys(fourth).previousSessionKeys).toBeUndefined();
  });

  it('cursor rotation refuses old cursors and leaves the session keys alone', async () => {
    const before = generateBrokerKeys();
    const after = rotateCursorKey(before);
    expect(after.sessionKey).toBe(before.sessionKey);
    const codec = (document: typeof before) => new CursorCodec(async () => brokerKeysOf(document).cursorKey);
    const cursor = await codec(before).encode({ at: 1 }, 'audit');
    await expect(codec(after).decode(cursor, 'audit')).rejects.toThrow();
  });
});

describe('the session store across a rotation', () => {
  let table: Table;
  beforeAll(async () => {
    const aws = await useLocalAws();
    table = createTable(aws.tableName, aws.dynamodb);
  });
  const stateSchema = () => z.object({ token: z.string() });
  const appliance = (): ApplianceBase =>
    ({ id: `rot-${randomBytes(4).toString('hex')}`, kind: 'fake' }) as unknown as ApplianceBase;

  it('old and new processes read each other’s sessions: no login either way', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    let secret: Keyring = ring(oldKey);
    const refreshes: string[] = [];
    // The old process holds the old keyring until it re-reads the secret; the new one has the rotated ring.
    let oldView: Keyring = ring(oldKey);
    const oldProcess = new SessionStore(
      table,
      async ({ refresh = false } = {}) => {
        if (refresh) {
          refreshes.push('old');
          oldView = secret;
        }
        return oldView;
      },
      Date.now,
      stateSchema,
    );
    const target = appliance();
    const session = {
      id: 's1',
      principal: 'broker',
      expiresAt: Date.now() + 600_000,
      state: { token: 't1' },
    };
    await oldProcess.write(target, session);

    secret = ring(newKey, oldKey);
    const newProcess = new SessionStore(table, async () => secret, Date.now, stateSchema);
    expect(await newProcess.read(target)).toEqual(session);

    // The new process's next write seals with the new key; the old process re-reads the keys once and opens it.
    const renewed = { ...session, id: 's2', state: { token: 't2' } };
    await newProcess.write(target, renewed);
    expect(await oldProcess.read(target)).toEqual(renewed);
    expect(refreshes).toEqual(['old']);
    expect(await oldProcess.read(target)).toEqual(renewed);
    expect(refreshes).toEqual(['old']);

    // After retirement of the old key, an item sealed with it is simply absent (one login), not an error.
    await new SessionStore(table, async () => ring(oldKey), Date.now, stateSchema).write(target, session);
    const retired = new SessionStore(table, async () => ring(newKey), Date.now, stateSchema);
    expect(await retired.read(target)).toBeUndefined();
  });
});
