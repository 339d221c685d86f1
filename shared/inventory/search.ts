import { canUseAppliance, type Principal } from '../auth/principal.js';
import type { CursorCodec } from '../pagination/cursor.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { InventoryDevice, InventoryStore } from './store.js';

export interface InventoryQuery {
  applianceId?: string | undefined;
  type?: string | undefined;
  viewerType?: string | undefined;
  kind?: string | undefined;
  state?: string | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface Entry {
  device: InventoryDevice;
  /** `applianceId \0 lowercased name \0 id`: the stable order and the cursor position. */
  order: string;
  /** Lowercased name, type and tag values, what `q` matches. */
  text: string;
}

/**
 * Device search over a process-local snapshot of the inventory. A search costs one GetItem (the version) and
 * an in-memory filter; the snapshot reloads (one Query per appliance partition) only after a sync changed it.
 */
export class InventorySearch {
  private snapshot: { version: number; entries: Entry[] } | undefined;
  private loading: Promise<Entry[]> | undefined;

  constructor(
    private readonly store: InventoryStore,
    private readonly registry: ApplianceRegistry,
    private readonly cursors: CursorCodec,
  ) {}

  /** One page of devices matching the query, ordered by (appliance, name), within the client's allow-list. */
  async search(
    principal: Principal,
    query: InventoryQuery,
  ): Promise<{ devices: InventoryDevice[]; nextCursor?: string }> {
    const after = query.cursor
      ? String((await this.cursors.decode(query.cursor, 'devices')).after ?? '')
      : undefined;
    const entries = await this.entries();
    const needle = query.q?.toLowerCase();
    let low = 0;
    if (after !== undefined) {
      let high = entries.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (entries[mid]!.order <= after) low = mid + 1;
        else high = mid;
      }
    }
    const devices: InventoryDevice[] = [];
    let last: Entry | undefined;
    let more = false;
    for (let i = low; i < entries.length; i++) {
      const entry = entries[i]!;
      const { device } = entry;
      if (query.applianceId !== undefined && device.applianceId !== query.applianceId) continue;
      if (query.type !== undefined && device.type !== query.type) continue;
      if (query.viewerType !== undefined && !device.viewerTypes.includes(query.viewerType)) continue;
      if (query.kind !== undefined && device.kind !== query.kind) continue;
      if (query.state !== undefined && device.state !== query.state) continue;
      if (needle !== undefined && !entry.text.includes(needle)) continue;
      if (!canUseAppliance(principal, device.applianceId)) continue;
      if (devices.length === query.limit) {
        more = true;
        break;
      }
      devices.push(device);
      last = entry;
    }
    return more && last
      ? { devices, nextCursor: await this.cursors.encode({ after: last.order }, 'devices') }
      : { devices };
  }

  /** Drops the snapshot (after a local sync, so the next search reloads at once). */
  invalidate(): void {
    this.snapshot = undefined;
  }

  private async entries(): Promise<Entry[]> {
    const version = await this.store.version();
    if (this.snapshot?.version === version) return this.snapshot.entries;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    const entries = await this.loading;
    this.snapshot = { version, entries };
    return entries;
  }

  private async load(): Promise<Entry[]> {
    const appliances = await this.registry.list();
    const lists = await Promise.all(
      appliances.map(async (appliance) =>
        (await this.store.devicesOf(appliance.id)).map((device) => ({ ...device, kind: appliance.kind })),
      ),
    );
    const entries = lists.flat().map((device) => ({
      device,
      order: `${device.applianceId}\u0000${device.name.toLowerCase()}\u0000${device.id}`,
      text: [device.name, device.type, ...Object.values(device.tags ?? {})].join('\n').toLowerCase(),
    }));
    return entries.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  }
}
