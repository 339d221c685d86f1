import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../shared/broker.js';
import { deviceOfType, mintTicket, newLink, startTestBroker, type TestBroker } from '../support/broker.js';

/**
 * The order of a warm request's I/O, observed on Node's HTTP client diagnostics channel (no clocks): the
 * appliance's createTicket goes out before any DynamoDB request, so the store's round trips and the SDK's CPU
 * overlap the appliance's instead of adding to them (README, Performance, rows 1 and 2).
 */

let t: TestBroker;
let events: string[] = [];

/** Appliance calls (the transport uses node:https) and DynamoDB calls (the SDK's node:http handler) alike. */
const onRequest = (message: unknown) => {
  const request = (message as { request?: ClientRequest }).request;
  const path = String(request?.path ?? '');
  if (path.includes(':createTicket')) events.push('createTicket');
  else if (path === '/api/v1/userSessions') events.push('login');
  const target = request?.getHeader('x-amz-target');
  if (typeof target === 'string' && target.startsWith('DynamoDB_'))
    events.push(target.split('.')[1] ?? target);
};

beforeAll(async () => {
  t = await startTestBroker();
  dc.subscribe('http.client.request.start', onRequest);
});
afterAll(async () => {
  dc.unsubscribe('http.client.request.start', onRequest);
  await t?.close();
});

/** The I/O of `request` once it is warm (two runs first: session, caches, rate-limit window, known link). */
async function warmIo(request: () => Promise<number>, expected: number): Promise<string[]> {
  for (let i = 0; i < 2; i++) expect(await request()).toBe(expected);
  events = [];
  expect(await request()).toBe(expected);
  return events;
}

describe('warm request I/O order', () => {
  it('a repeat click on a multi-use link mints before its claim and audit write', async () => {
    const { path } = await newLink(t);
    const io = await warmIo(async () => (await t.call('GET', path)).status, 302);
    expect(io[0]).toBe('createTicket');
    expect(io).toEqual(expect.arrayContaining(['UpdateItem', 'PutItem']));
  });

  it('a ticket API call mints before its rate-limit count and audit write', async () => {
    const io = await warmIo(async () => (await mintTicket(t, deviceOfType(t.sim))).status, 201);
    expect(io[0]).toBe('createTicket');
    expect(io).toEqual(expect.arrayContaining(['UpdateItem', 'PutItem']));
  });

  it('a cold call pays one store round trip before its login, and stores the session while it mints', async () => {
    const ticket = async () => (await mintTicket(t, deviceOfType(t.sim))).status;
    expect(await ticket()).toBe(201);
    const current = await t.broker.sessions.get(await t.broker.registry.get('lab'));
    await t.broker.sessions.invalidate('lab', current.id);
    events = [];
    expect(await ticket()).toBe(201);
    expect(events).toContain('login');
    const afterLogin = events.slice(events.indexOf('login') + 1);
    // One conditional update takes the lease: no session read before it, no re-read after it (the rate-limit
    // count and the optimistic audit write may go out in the same window). The session's put, which releases
    // the lease in the same write, follows the mint's request.
    const beforeLogin = events.slice(0, events.indexOf('login'));
    expect(beforeLogin).toContain('UpdateItem');
    expect(beforeLogin).not.toContain('GetItem');
    expect(afterLogin).toContain('createTicket');
    expect(afterLogin.lastIndexOf('PutItem')).toBeGreaterThan(afterLogin.indexOf('createTicket'));
    expect(events).not.toContain('DeleteItem');
  });

  it("a repeat click with the session gone takes the lease alone, and claims once the mint's request left", async () => {
    const { path } = await newLink(t);
    const click = async () => (await t.call('GET', path)).status;
    await warmIo(click, 302);
    const current = await t.broker.sessions.get(await t.broker.registry.get('lab'));
    await t.broker.sessions.invalidate('lab', current.id);
    events = [];
    expect(await click()).toBe(302);
    // Before the login: the lease's conditional update and nothing else (the link claim does not compete with
    // it for the store). The claim and the audit write go out while the mint is in flight.
    expect(events.slice(0, events.indexOf('login'))).toEqual(['UpdateItem']);
    const afterMint = events.slice(events.indexOf('createTicket') + 1);
    expect(afterMint).toContain('UpdateItem');
    expect(afterMint).toContain('PutItem');
  });
});

describe('a new container', () => {
  it("reads the keys secret beside its first click's claim, right after it left", async () => {
    const { token } = await newLink(t);
    const io: string[] = [];
    const started = (message: unknown) => {
      const target = (message as { request?: ClientRequest }).request?.getHeader('x-amz-target');
      if (typeof target === 'string') io.push(`start ${target.split('.')[1]}`);
    };
    const finished = (message: unknown) => {
      const target = (message as { request?: ClientRequest }).request?.getHeader('x-amz-target');
      if (typeof target === 'string') io.push(`end ${target.split('.')[1]}`);
    };
    dc.subscribe('http.client.request.start', started);
    dc.subscribe('http.client.response.finish', finished);
    const fresh = await createBroker();
    try {
      const result = await fresh.links.click(token, { sourceIp: '127.0.0.1' });
      expect(result.kind).toBe('launch');
    } finally {
      dc.unsubscribe('http.client.request.start', started);
      dc.unsubscribe('http.client.response.finish', finished);
      await fresh.close();
    }
    // The claim goes out first (the secret's client setup does not hold it back), and the secret's read before
    // the claim's answer is in: the two first calls overlap.
    expect(io.indexOf('start UpdateItem')).toBeGreaterThanOrEqual(0);
    expect(io.indexOf('start UpdateItem')).toBeLessThan(io.indexOf('start GetSecretValue'));
    expect(io.indexOf('start GetSecretValue')).toBeLessThan(io.indexOf('end UpdateItem'));
  });

  it('reads the registry item, the stored session and the creator in one request, once the claim answers', async () => {
    const { token } = await newLink(t);
    const fresh = await createBroker();
    const io: string[] = [];
    const send = fresh.table.doc.send.bind(fresh.table.doc);
    const partitionsOf = (input: {
      Key?: { pk?: string };
      RequestItems?: Record<string, { Keys: { pk: string }[] }>;
    }) =>
      (input.Key ? [input.Key] : Object.values(input.RequestItems ?? {}).flatMap((entry) => entry.Keys))
        .map((key) => String(key.pk ?? '').split('#')[0])
        .join(',');
    fresh.table.doc.send = (async (command: {
      constructor: { name: string };
      input: Parameters<typeof partitionsOf>[0];
    }) => {
      const what = `${command.constructor.name} ${partitionsOf(command.input)}`;
      io.push(`send ${what}`);
      try {
        return await send(command as never);
      } finally {
        io.push(`done ${what}`);
      }
    }) as unknown as typeof send;
    try {
      const result = await fresh.links.click(token, { sourceIp: '127.0.0.1' });
      expect(result.kind).toBe('launch');
    } finally {
      await fresh.close();
    }
    const reads = io.filter((entry) => /^send (Get|BatchGet)Command/.test(entry));
    expect(reads[0]).toBe('send BatchGetCommand APPLIANCE,SESSION,CLIENT');
    expect(io.indexOf(reads[0]!)).toBeGreaterThan(io.indexOf('done UpdateCommand LINK'));
    expect(reads.filter((entry) => /APPLIANCE|SESSION|CLIENT/.test(entry))).toHaveLength(1);
    // The stored session was usable: no lease was needed.
    expect(io).not.toContain('send UpdateCommand SESSION');
  });
});
