import type { ApplianceGateway } from '../appliances/gateway.js';
import type { Device } from '../appliances/provider.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { ApplianceRegistry } from '../registry/appliances.js';

export interface DeviceFilter {
  /** A programmatic name: only this type is asked of the appliance. */
  type?: string | undefined;
  /** A case-insensitive substring of the device name. */
  name?: string | undefined;
}

export interface DeviceDirectoryOptions {
  registry: ApplianceRegistry;
  gateway: ApplianceGateway;
  clock: Clock;
  cacheMs: number;
  /** Where a container without a cache looks first, before asking the appliance. */
  inventory?: { device(applianceId: string, deviceId: string): Promise<Device | undefined> };
}

/**
 * Devices as the appliances report them, with a short per-appliance cache for request validation. An unknown
 * device id costs at most one live listing per appliance per cache lifetime, whoever asks: while a listing is
 * fresh, an id it does not hold is a 404 at once (a device added on the appliance meanwhile is found when the
 * cache expires, or sooner through the synced inventory), and concurrent askers share one listing in flight.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, { devices: Map<string, Device>; until: number }>();
  private readonly inflight = new Map<string, Promise<Device[]>>();

  constructor(private readonly options: DeviceDirectoryOptions) {}

  /** A live listing from the appliance, optionally narrowed by type and name. */
  async list(applianceId: string, filter: DeviceFilter = {}): Promise<Device[]> {
    const devices = filter.type
      ? await this.once(`${applianceId}\u0000${filter.type}`, () => this.fetch(applianceId, filter.type))
      : await this.refresh(applianceId);
    const needle = filter.name?.toLowerCase();
    return needle ? devices.filter((device) => device.name.toLowerCase().includes(needle)) : devices;
  }

  /**
   * One device: the cache, else the synced inventory, else one live listing; `NotFoundError` if absent. A miss
   * in a fresh listing is final until it expires, so probing unknown ids never reaches the appliance twice.
   */
  async get(applianceId: string, deviceId: string): Promise<Device> {
    const fresh = this.fresh(applianceId);
    const hit = fresh?.get(deviceId);
    if (hit) return hit;
    const synced = await this.options.inventory?.device(applianceId, deviceId);
    if (synced) return synced;
    // Asked again after the await: a concurrent asker's listing may have landed meanwhile.
    const listed = this.fresh(applianceId);
    const devices = listed ? [...listed.values()] : await this.refresh(applianceId);
    const found = devices.find((device) => device.id === deviceId);
    if (!found) throw new NotFoundError('device', deviceId);
    return found;
  }

  /** Seeds the cache from a complete listing obtained elsewhere (the inventory sync). */
  remember(applianceId: string, devices: readonly Device[]): void {
    this.cache.set(applianceId, {
      devices: new Map(devices.map((device) => [device.id, device])),
      until: this.options.clock() + this.options.cacheMs,
    });
  }

  private fresh(applianceId: string): Map<string, Device> | undefined {
    const cached = this.cache.get(applianceId);
    return cached && cached.until > this.options.clock() ? cached.devices : undefined;
  }

  private refresh(applianceId: string): Promise<Device[]> {
    return this.once(applianceId, async () => {
      const devices = await this.fetch(applianceId);
      this.remember(applianceId, devices);
      return devices;
    });
  }

  /** One listing in flight per key: whoever asks meanwhile waits for the same answer. */
  private once(key: string, work: () => Promise<Device[]>): Promise<Device[]> {
    const running = this.inflight.get(key);
    if (running) return running;
    const started = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }

  private async fetch(applianceId: string, type?: string): Promise<Device[]> {
    const appliance = await this.options.registry.get(applianceId);
    const listing = await this.options.gateway.use(appliance, (client, session) =>
      client.listDevices(session, type === undefined ? {} : { type }),
    );
    // A type the source cannot filter by is filtered here, so every kind answers `type=` alike.
    return type === undefined ? listing.devices : listing.devices.filter((device) => device.type === type);
  }
}
