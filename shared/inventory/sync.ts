import { ApplianceError } from '../appliances/errors.js';
import type { ApplianceGateway } from '../appliances/gateway.js';
import type { Device, DeviceListing } from '../appliances/provider.js';
import type { Appliance } from '../appliances/providers.js';
import type { Clock } from '../clock.js';
import type { DeviceDirectory } from '../devices/directory.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { InventoryDevice, InventoryStore } from './store.js';

/** The outcome of syncing one appliance. */
export interface SyncResult {
  applianceId: string;
  status: 'ok' | 'error';
  /** False when the source could not list everything: nothing was removed this time. */
  complete?: boolean;
  devices: number;
  added: number;
  updated: number;
  removed: number;
  error?: string;
  durationMs: number;
}

export interface InventorySyncOptions {
  registry: ApplianceRegistry;
  gateway: ApplianceGateway;
  devices: DeviceDirectory;
  store: InventoryStore;
  clock: Clock;
  /** Appliances synced at once. */
  concurrency: number;
  /** An unchanged device's lastSeenAt is rewritten only when older than this, so re-syncs cost no writes. */
  seenRefreshMs: number;
  onResult?: (result: SyncResult) => void;
}

const sameDevice = (a: Device, b: Device) =>
  a.name === b.name &&
  a.type === b.type &&
  a.state === b.state &&
  a.owner === b.owner &&
  a.connectionPaths.join('\n') === b.connectionPaths.join('\n') &&
  a.viewerTypes.join(',') === b.viewerTypes.join(',') &&
  sameTags(a.tags ?? {}, b.tags ?? {});

/** Tags as a set of pairs: the store hands a map back in its own key order, so the order means nothing. */
function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

/**
 * Keeps the inventory equal to what the appliances report. Only a complete, successful listing of an appliance
 * changes its devices; a failure leaves them as they were and is reported, never thrown.
 */
export class InventorySync {
  constructor(private readonly options: InventorySyncOptions) {}

  /** Syncs every registered appliance (or the given ones) with bounded concurrency. */
  async syncAll(only?: readonly string[]): Promise<SyncResult[]> {
    const appliances = (await this.options.registry.list()).filter((a) => !only || only.includes(a.id));
    const results: SyncResult[] = new Array(appliances.length);
    let next = 0;
    const worker = async () => {
      while (next < appliances.length) {
        const index = next++;
        results[index] = await this.syncOne(appliances[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, appliances.length) }, worker));
    const changed = results.some((r) => r.added + r.updated + r.removed > 0);
    if (changed) await this.options.store.bumpVersion();
    return results;
  }

  /** Syncs one appliance; never throws. */
  async syncOne(appliance: Appliance): Promise<SyncResult> {
    const applianceId = appliance.id;
    const started = Date.now();
    const empty = { applianceId, devices: 0, added: 0, updated: 0, removed: 0 };
    let result: SyncResult;
    try {
      const listing = await this.listAll(appliance);
      const live = listing.devices;
      const stored = new Map((await this.options.store.devicesOf(applianceId)).map((d) => [d.id, d]));
      const now = this.options.clock();
      const seenAt = new Date(now).toISOString();
      const puts: InventoryDevice[] = [];
      let added = 0;
      let updated = 0;
      for (const device of live) {
        const previous = stored.get(device.id);
        stored.delete(device.id);
        if (!previous) added++;
        else if (!sameDevice(previous, device)) updated++;
        else if (now - Date.parse(previous.lastSeenAt) < this.options.seenRefreshMs) continue;
        puts.push({ ...device, applianceId, lastSeenAt: seenAt });
      }
      // An incomplete listing (a source's cap) cannot prove a device gone.
      const removed = listing.complete ? [...stored.keys()] : [];
      if (puts.length || removed.length) await this.options.store.write(applianceId, puts, removed);
      if (listing.complete) this.options.devices.remember(applianceId, live);
      result = {
        ...empty,
        status: 'ok',
        complete: listing.complete,
        devices: live.length,
        added,
        updated,
        removed: removed.length,
        durationMs: 0,
      };
    } catch (error) {
      result = { ...empty, status: 'error', error: describe(error), durationMs: 0 };
    }
    result.durationMs = Date.now() - started;
    this.options.onResult?.(result);
    return result;
  }

  private listAll(appliance: Appliance): Promise<DeviceListing> {
    return this.options.gateway.use(appliance, (client, session) => client.listDevices(session));
  }
}

/** The result's `error`: the appliance error's message, plus what an operator must do when it is on them. */
function describe(error: unknown): string {
  if (error instanceof ApplianceError && error.step === 'login') {
    if (error.kind === 'auth') return `${error.message}; an operator must update the appliance credentials`;
    if (error.kind === 'credentials') return `${error.message}; an operator must store them`;
  }
  return error instanceof Error ? error.message : 'unknown error';
}
