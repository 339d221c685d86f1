import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ClientStore } from '../../shared/auth/clients.js';
import { LruMap } from '../../shared/limits/lru-map.js';
import { RateLimiter } from '../../shared/limits/rate-limiter.js';
import type { Table } from '../../shared/store/dynamo.js';

/**
 * In-process maps keyed by values a caller chooses (API keys, source addresses) stay bounded: an attacker's
 * stream of distinct keys evicts old entries instead of growing a warm Lambda until it dies.
 */

const STREAM = 5_000;
const BOUND = 100;

/** A table that knows no API key and counts every rate-limited event once. */
function fakeTable(): Table & { calls: number } {
  const table = {
    name: 'fake',
    calls: 0,
    doc: {
      send: async (command: unknown) => {
        table.calls++;
        if (command instanceof GetCommand) return {};
        if (command instanceof UpdateCommand) return { Attributes: { count: 1 } };
        throw new Error('unexpected command');
      },
    },
  };
  return table as unknown as Table & { calls: number };
}

const sizeOf = (owner: object, field: string) => (owner as Record<string, { size: number }>)[field]?.size;

describe('LruMap', () => {
  it('forgets the least recently used entry first', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });
});

describe('bounded in-process maps', () => {
  it("the authorizer's key cache stays within its bound under a stream of unknown keys", async () => {
    const table = fakeTable();
    const clients = new ClientStore({
      table,
      pepper: async () => Buffer.alloc(32, 1),
      clock: () => 1_000,
      cacheEntries: BOUND,
    });
    for (let i = 0; i < STREAM; i++) {
      expect(await clients.authenticate(`clb_junk_key_${String(i).padStart(40, '0')}`)).toBeUndefined();
    }
    expect(sizeOf(clients, 'cache')).toBe(BOUND);
    // A recent key is still served from the cache; the oldest was forgotten and costs one lookup again.
    const before = table.calls;
    await clients.authenticate(`clb_junk_key_${String(STREAM - 1).padStart(40, '0')}`);
    expect(table.calls).toBe(before);
    await clients.authenticate(`clb_junk_key_${String(0).padStart(40, '0')}`);
    expect(table.calls).toBe(before + 1);
  });

  it('the default key cache bound holds too', async () => {
    const clients = new ClientStore({
      table: fakeTable(),
      pepper: async () => Buffer.alloc(32, 1),
      clock: () => 0,
    });
    for (let i = 0; i < 10_050; i++)
      await clients.authenticate(`clb_junk_key_${String(i).padStart(40, '0')}`);
    expect(sizeOf(clients, 'cache')).toBe(10_000);
  });

  it("the rate limiter's per-address windows stay within their bound under rotating addresses", async () => {
    const limiter = new RateLimiter({
      table: fakeTable(),
      clock: () => 0,
      windowMs: 60_000,
      maxSubjects: BOUND,
    });
    for (let i = 0; i < STREAM; i++) {
      const address = `2001:db8::${i.toString(16)}`;
      limiter.check('launch-failures', address);
      // A limit of 0 blocks each address at its first failure, so both maps get an entry per address.
      await limiter.countFailure('launch-failures', address, 0);
    }
    expect(sizeOf(limiter, 'lastCount')).toBe(BOUND);
    expect(sizeOf(limiter, 'blocked')).toBe(BOUND);
    // The most recent addresses are still refused without a store call.
    expect(() => limiter.check('launch-failures', `2001:db8::${(STREAM - 1).toString(16)}`)).toThrow();
  });
});
