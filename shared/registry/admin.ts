import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Appliance, applianceSchema, providerOf } from '../appliances/providers.js';
import type { Broker } from '../broker.js';
import { deleteSecret, putSecretJson } from '../secrets/writes.js';
import { storeCall } from '../store/dynamo.js';
import { parse } from '../zod.js';
import { applianceKey } from './appliances.js';

/*
 * Registering and removing appliances: the operator CLI, a configuration file, and the local runtime's demo.
 * No function does (their roles may not write the registry or a secret), so none bundles this module.
 */

/** Registers or updates an appliance and, when given, its credentials (validated by the kind's schema). */
export async function putAppliance(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table'>,
  appliance: Appliance,
  credentials?: unknown,
): Promise<void> {
  const record = applianceSchema.parse(appliance);
  if (credentials !== undefined) {
    const parsed = parse(providerOf(record.kind).schemas.credentials, credentials);
    await putSecretJson(broker.secrets, broker.registry.secretId(record.id), parsed);
  }
  const { table } = broker;
  await storeCall('register an appliance', () =>
    table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: { ...applianceKey(record.id), gsi1pk: 'APPLIANCES', gsi1sk: record.id, appliance: record },
      }),
    ),
  );
  broker.registry.forget(record.id);
}

/**
 * Removes an appliance and everything the broker keeps for it: the registry item, its credentials secret, its
 * shared session and login lease, and its synced inventory. Returns how many inventory devices were dropped.
 * The operator CLI, a configuration that no longer lists it, and leaving demo mode all remove alike.
 */
export async function removeAppliance(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'sessions' | 'inventory'>,
  applianceId: string,
): Promise<number> {
  const { table } = broker;
  await storeCall('remove an appliance', () =>
    table.doc.send(new DeleteCommand({ TableName: table.name, Key: applianceKey(applianceId) })),
  );
  await deleteSecret(broker.secrets, broker.registry.secretId(applianceId));
  broker.registry.forget(applianceId);
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
