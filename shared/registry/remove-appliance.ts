import type { Broker } from '../broker.js';

/**
 * Removes an appliance and everything the broker keeps for it: the registry item, its credentials secret, its
 * shared session and login lease, and its synced inventory. Returns how many inventory devices were dropped.
 * The operator CLI, a configuration that no longer lists it, and leaving demo mode all remove alike.
 */
export async function removeAppliance(
  broker: Pick<Broker, 'registry' | 'sessions' | 'inventory'>,
  applianceId: string,
): Promise<number> {
  await broker.registry.remove(applianceId);
  await broker.sessions.forget(applianceId);
  const devices = await broker.inventory.store.devicesOf(applianceId);
  if (devices.length) {
    await broker.inventory.store.write(
      applianceId,
      [],
      devices.map((device) => device.id),
    );
    await broker.inventory.store.bumpVersion();
  }
  return devices.length;
}
