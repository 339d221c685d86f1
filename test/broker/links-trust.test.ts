import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from '../../shared/audit/audit-log.js';
import { ClientStore, clientSchema } from '../../shared/auth/clients.js';
import { OPERATOR_CLI_PRINCIPAL } from '../../shared/auth/principal.js';
import { sha256Hex } from '../../shared/crypto/index.js';
import { LinkStore } from '../../shared/links/link-store.js';
import {
  type CallResult,
  deviceOfType,
  type LinkBody,
  type NewLink,
  newLink,
  startTestBroker,
  steppableClock,
  type TestBroker,
  tokenOf,
} from '../support/broker.js';

/**
 * Issue 16, "Links and clients": a link lives only as long as its creator may make it, its creation is audited,
 * links can be listed and revoked in bulk (an admin within its allow-list), and a revoked link checks in what
 * its clicks opened at the source.
 */

let t: TestBroker;
const clock = steppableClock();
/** The client cache lifetime (ClientStore's default): how long a revocation takes to reach a warm process. */
const CACHE_MS = 30_000;

/** Another process's view of the clients (the CLI revoking while the broker runs): it shares no cache. */
const elsewhere = () =>
  new ClientStore({
    table: t.broker.table,
    pepper: async () => (await t.broker.keys()).apiKeyPepper,
    clock: clock.now,
  });

/** A fresh client with its own key; `links:create` on `lab` unless told otherwise. */
async function newClient(
  scopes: ('links:create' | 'tickets:create' | 'devices:read' | 'admin')[] = ['links:create'],
  appliances = ['lab'],
): Promise<{ id: string; key: string }> {
  const id = `c-${randomBytes(5).toString('hex')}`;
  const key = `test-${randomBytes(24).toString('base64url')}`;
  await elsewhere().create({ id, scopes, appliances }, key);
  return { id, key };
}

const linkFor = (key: string, body: LinkBody = {}): Promise<NewLink> => newLink(t, body, key);
const click = (path: string): Promise<CallResult> => t.call('GET', path);

async function eventsOf(linkId: string): Promise<AuditEvent[]> {
  const response = await t.call('GET', '/v1/audit?applianceId=lab&limit=200', { key: t.keys.admin });
  expect(response.status, response.text).toBe(200);
  return (response.json.events as AuditEvent[]).filter((event) => event.linkId === linkId);
}

beforeAll(async () => {
  t = await startTestBroker({ clock: clock.now });
});

afterAll(async () => {
  await t?.close();
});

describe('revocation reaches every link', () => {
  it('revoking the creator stops its links within the cache lifetime (30 s), with a 404 page and an audit event', async () => {
    const client = await newClient();
    const multi = await linkFor(client.key);
    const single = await linkFor(client.key, { singleUse: true });
    expect((await click(multi.path)).status).toBe(302);
    await elsewhere().revoke(client.id);
    // This process read the creator a moment ago: the revocation has not reached it yet.
    expect((await click(multi.path)).status).toBe(302);
    clock.advance(CACHE_MS + 1);
    for (const link of [multi, single]) {
      const refused = await click(link.path);
      expect(refused.status).toBe(404);
      expect(refused.headers['content-type']).toContain('text/html');
      expect(refused.text).toContain('unknown or was revoked');
      expect((await eventsOf(link.id)).map((e) => e.outcome)).toContain('creator_revoked');
    }
    const event = (await eventsOf(single.id)).find((e) => e.outcome === 'creator_revoked');
    expect(event).toMatchObject({ createdBy: client.id, applianceId: 'lab', linkId: single.id });
  });

  it('in the process that revokes, at once', async () => {
    const client = await newClient();
    const link = await linkFor(client.key);
    expect((await click(link.path)).status).toBe(302);
    await t.broker.clients.revoke(client.id);
    expect((await click(link.path)).status).toBe(404);
  });

  it('removing the appliance from the allow-list, or links:create from the scopes, stops its links', async () => {
    const narrowed = await newClient();
    const unscoped = await newClient();
    const links = [await linkFor(narrowed.key), await linkFor(unscoped.key)];
    for (const link of links) expect((await click(link.path)).status).toBe(302);
    await t.broker.clients.create(
      { id: narrowed.id, scopes: ['links:create'], appliances: ['other'] },
      narrowed.key,
    );
    await t.broker.clients.create(
      { id: unscoped.id, scopes: ['tickets:create'], appliances: ['lab'] },
      unscoped.key,
    );
    for (const link of links) expect((await click(link.path)).status).toBe(404);
    // Allowed again: the links work again (nothing was used up by the refusals).
    await t.broker.clients.create(
      { id: narrowed.id, scopes: ['links:create'], appliances: ['lab'] },
      narrowed.key,
    );
    expect((await click(links[0]!.path)).status).toBe(302);
  });

  it('an admin creator keeps its links (admin holds links:create)', async () => {
    const admin = await newClient(['admin'], ['*']);
    const link = await linkFor(admin.key);
    expect((await click(link.path)).status).toBe(302);
  });

  it('the operator CLI is a built-in creator: its links work, no client can take its id', async () => {
    const created = await t.broker.links.create(OPERATOR_CLI_PRINCIPAL, {
      applianceId: 'lab',
      deviceId: deviceOfType(t.sim),
      viewerType: 'KVM',
    });
    clock.advance(CACHE_MS + 1);
    expect((await click(new URL(created.url).pathname)).status).toBe(302);
    expect(clientSchema.safeParse({ id: 'operator-cli', scopes: ['admin'], appliances: ['*'] }).success).toBe(
      false,
    );
    expect(await t.broker.clients.byId('operator-cli')).toEqual(OPERATOR_CLI_PRINCIPAL);
  });

  it('the warm click reads the creator once per cache lifetime and still costs one appliance request', async () => {
    const link = await linkFor(t.keys.operator);
    expect((await click(link.path)).status).toBe(302);
    const send = vi.spyOn(t.broker.table.doc, 'send');
    const before = { ...t.sim.counters };
    try {
      for (let i = 0; i < 5; i++) expect((await click(link.path)).status).toBe(302);
      const clientReads = send.mock.calls.filter(([command]) =>
        String((command.input as { Key?: { pk?: string } }).Key?.pk).startsWith('CLIENT#'),
      );
      expect(clientReads).toHaveLength(0);
      expect(t.sim.counters.requests - before.requests).toBe(5);
      expect(t.sim.counters.tickets - before.tickets).toBe(5);
    } finally {
      send.mockRestore();
    }
  });
});

describe('audit', () => {
  it('link_created names the client, target, lifetime, single use, reason and source; clicks carry createdBy', async () => {
    const link = await newLink(t, { singleUse: true, ttlSeconds: 600, reason: 'INC-4242' });
    expect((await click(link.path)).status).toBe(302);
    const events = await eventsOf(link.id);
    const created = events.find((e) => e.outcome === 'link_created');
    expect(created).toMatchObject({
      clientId: 'operator',
      applianceId: 'lab',
      deviceId: deviceOfType(t.sim),
      viewerType: 'KVM',
      ttlSeconds: 600,
      singleUse: true,
      confirm: false,
      reason: 'INC-4242',
      sourceIp: '127.0.0.1',
    });
    expect(events.find((e) => e.outcome === 'redirected')).toMatchObject({ createdBy: 'operator' });
    expect(JSON.stringify(events)).not.toContain(link.token);
  });
});

describe('GET /v1/links and DELETE /v1/links?createdBy=', () => {
  it('a client lists its own live links without tokens, newest first, page by page', async () => {
    const client = await newClient();
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await linkFor(client.key, { reason: `r${i}` }));
    const used = await linkFor(client.key, { singleUse: true });
    expect((await click(used.path)).status).toBe(302);
    const revoked = await linkFor(client.key);
    expect((await t.call('DELETE', `/v1/links/${revoked.id}`, { key: client.key })).status).toBe(204);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query = new URLSearchParams({ limit: '2', ...(cursor ? { cursor } : {}) });
      const response = await t.call('GET', `/v1/links?${query}`, { key: client.key });
      expect(response.status, response.text).toBe(200);
      expect(response.text).not.toMatch(/launch\/|tokenHash|url/);
      for (const link of response.json.links) {
        expect(link).toMatchObject({
          createdBy: client.id,
          applianceId: 'lab',
          viewerType: 'KVM',
          confirm: false,
        });
        seen.push(link.id);
      }
      cursor = response.json.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(made.map((link) => link.id).reverse());
    for (const link of made) expect(tokenOf(link.url)).toBeTruthy();
  });

  it("a client may not list another's links; an admin may, filtered by appliance and device", async () => {
    const client = await newClient();
    const link = await linkFor(client.key);
    const other = await t.call('GET', `/v1/links?createdBy=operator`, { key: client.key });
    expect(other.status).toBe(403);
    const admin = await t.call('GET', `/v1/links?createdBy=${client.id}`, { key: t.keys.admin });
    expect(admin.json.links.map((l: { id: string }) => l.id)).toEqual([link.id]);
    const all = await t.call('GET', `/v1/links?limit=500&deviceId=${deviceOfType(t.sim)}`, {
      key: t.keys.admin,
    });
    expect(all.status, all.text).toBe(200);
    expect(all.json.links.map((l: { id: string }) => l.id)).toContain(link.id);
    const elsewhereOnly = await t.call('GET', `/v1/links?createdBy=${client.id}&deviceId=nothing-here`, {
      key: t.keys.admin,
    });
    expect(elsewhereOnly.json.links).toEqual([]);
    expect((await t.call('GET', '/v1/links', { key: t.keys.reader })).status).toBe(403);
  });

  it("an admin restricted to other appliances neither sees, revokes one by one, nor bulk-revokes lab's links", async () => {
    const narrowAdmin = await newClient(['admin'], ['other']);
    const client = await newClient();
    const link = await linkFor(client.key);
    const listed = await t.call('GET', `/v1/links?createdBy=${client.id}`, { key: narrowAdmin.key });
    expect(listed.json.links).toEqual([]);
    expect((await t.call('GET', '/v1/links?applianceId=lab', { key: narrowAdmin.key })).status).toBe(403);
    expect((await t.call('DELETE', `/v1/links/${link.id}`, { key: narrowAdmin.key })).status).toBe(403);
    const bulk = await t.call('DELETE', `/v1/links?createdBy=${client.id}`, { key: narrowAdmin.key });
    expect(bulk.json).toEqual({ revoked: 0 });
    expect((await click(link.path)).status).toBe(302);
  });

  it('an admin revokes every live link of a client at once; a client may not', async () => {
    const client = await newClient();
    const links = [await linkFor(client.key), await linkFor(client.key, { singleUse: true })];
    expect((await t.call('DELETE', `/v1/links?createdBy=${client.id}`, { key: client.key })).status).toBe(
      403,
    );
    const bulk = await t.call('DELETE', `/v1/links?createdBy=${client.id}`, { key: t.keys.admin });
    expect(bulk.status, bulk.text).toBe(200);
    expect(bulk.json).toEqual({ revoked: 2 });
    for (const link of links) expect((await click(link.path)).status).toBe(404);
    expect(
      (await t.call('GET', `/v1/links?createdBy=${client.id}`, { key: t.keys.admin })).json.links,
    ).toEqual([]);
  });

  it('a bad cursor or createdBy is a 400 naming it', async () => {
    const cursor = await t.call('GET', '/v1/links?cursor=abc.def', { key: t.keys.operator });
    expect(cursor.status).toBe(400);
    expect(cursor.json.errors[0].field).toBe('cursor');
    const createdBy = await t.call('GET', '/v1/links?createdBy=NOT%20AN%20ID', { key: t.keys.admin });
    expect(createdBy.status).toBe(400);
    expect(createdBy.json.errors[0].field).toBe('createdBy');
  });
});

describe('check-in on revoke', () => {
  it("revoking a link whose click opened an access request releases it through the appliance's client", async () => {
    const link = await newLink(t);
    const store = new LinkStore(t.broker.table, clock.now);
    await store.recordRequest(sha256Hex(link.token), 'req-77');
    const release = vi.fn(async () => undefined);
    const use = vi
      .spyOn(t.broker.gateway, 'use')
      .mockImplementation(async (_appliance, call) =>
        call({ release } as never, { id: 's', expiresAt: Date.now() + 60_000, state: {} } as never),
      );
    try {
      expect((await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.operator })).status).toBe(204);
      expect(use).toHaveBeenCalledTimes(1);
      expect(use.mock.calls[0]![0].id).toBe('lab');
      expect(release).toHaveBeenCalledWith(expect.anything(), 'req-77');
    } finally {
      use.mockRestore();
    }
  });
});
