import { canUseAppliance, type Principal, requireAppliance } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
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

interface Snapshot {
  entries: Entry[];
  /** The appliances registered when it was loaded. */
  appliances: Set<string>;
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
  private snapshot: ({ version: number } & Snapshot) | undefined;
  private loading: Promise<Snapshot> | undefined;

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
    const { entries, appliances } = await this.current();
    if (query.applianceId !== undefined) {
      // As on every route that names an appliance: 403 outside the client's list, 404 when not registered.
      requireAppliance(principal, query.applianceId);
      if (!appliances.has(query.applianceId) && !(await this.registered(query.applianceId))) {
        throw new NotFoundError('appliance', query.applianceId);
      }
    }
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

  private async current(): Promise<Snapshot> {
    const version = await this.store.version();
    if (this.snapshot?.version === version) return this.snapshot;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    const loaded = await this.loading;
    this.snapshot = { version, ...loaded };
    return loaded;
  }

  /** Whether an appliance the snapshot does not know has been registered since (not synced yet). */
  private async registered(applianceId: string): Promise<boolean> {
    return (await this.registry.list()).some((appliance) => appliance.id === applianceId);
  }

  private async load(): Promise<Snapshot> {
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
    entries.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return { entries, appliances: new Set(appliances.map((appliance) => appliance.id)) };
  }
}
