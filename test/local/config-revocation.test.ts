import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../infra/local/runtime.js';
import { type ConfigFile, parseConfig } from '../../shared/config/file.js';
import { logger } from '../../shared/observability.js';

/**
 * Review M4: with BROKER_DATA_DIR the table and the secrets outlive the process, so a client or an appliance
 * taken out of BROKER_CONFIG must be revoked at the next start, not kept by the persisted state.
 */

const FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');
const appliance = (id: string, tls: Record<string, unknown> = { fingerprint256: FINGERPRINT }) => ({
  id,
  name: `Appliance ${id}`,
  kind: 'dsview',
  platform: 'MP1000',
  firmwareVersion: '3.33.8',
  // Never contacted: registration, listing and revocation are store operations.
  baseUrl: 'https://127.0.0.1:9',
  tls,
  credentials: { username: 'broker', password: `pw-${randomBytes(8).toString('hex')}` },
});
const keyOf = (id: string) => `clb_${id}_${randomBytes(24).toString('base64url')}`;
const keys = { keep: keyOf('keep'), leaked: keyOf('leaked') };

let dataDir: string;
let local: LocalBroker | undefined;

async function start(config: ConfigFile): Promise<LocalBroker> {
  local = await startLocalBroker({ host: '127.0.0.1', port: 0, config: async () => config, dataDir });
  return local;
}
async function stop(): Promise<void> {
  await local?.close();
  local = undefined;
}
const get = (broker: LocalBroker, path: string, key: string) =>
  fetch(`${broker.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'clb-revocation-'));
});
afterAll(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('removing entries from BROKER_CONFIG with a persisted data dir', () => {
  it('revokes the removed client and appliance at the next start, keeps the rest', async () => {
    const both = parseConfig({
      appliances: [appliance('lab'), appliance('retired', { insecure: true })],
      clients: [
        { id: 'keep', apiKey: keys.keep, scopes: ['admin'], appliances: ['*'] },
        { id: 'leaked', apiKey: keys.leaked, scopes: ['admin'], appliances: ['*'] },
      ],
    });
    const warn = vi.spyOn(logger, 'warn');
    const first = await start(both);
    expect(first.revoked).toEqual([]);
    // Locally tls.insecure stays usable, and the start (not a first use) says which appliance skips checks.
    expect(warn).toHaveBeenCalledWith('TLS verification is off for this appliance (tls.insecure)', {
      applianceId: 'retired',
    });
    warn.mockRestore();
    const listed = await get(first, '/v1/appliances', keys.leaked);
    expect(listed.status).toBe(200);
    const ids = ((await listed.json()) as { appliances: { id: string }[] }).appliances.map((a) => a.id);
    expect(ids.sort()).toEqual(['lab', 'retired']);
    await stop();

    const reduced = parseConfig({
      appliances: [appliance('lab')],
      clients: [{ id: 'keep', apiKey: keys.keep, scopes: ['admin'], appliances: ['*'] }],
    });
    const second = await start(reduced);
    expect(second.revoked.sort()).toEqual(['appliance retired', 'client leaked']);
    expect((await get(second, '/v1/appliances', keys.leaked)).status).toBe(401);
    const kept = await get(second, '/v1/appliances', keys.keep);
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { appliances: { id: string }[] }).appliances.map((a) => a.id)).toEqual([
      'lab',
    ]);
    // The removed appliance's credentials secret is gone too.
    await expect(second.broker.registry.credentials({ id: 'retired', kind: 'dsview' })).rejects.toThrow();
    await stop();
  }, 180_000);
});
