import { isDeepStrictEqual } from 'node:util';
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

/**
 * Registers or updates an appliance and, when given, its credentials (validated by the kind's schema). When the
 * record or the credentials differ from what was stored, the appliance's shared session, login lease and
 * refused-login hold go too: they belong to the old registration (a corrected password must not wait out the
 * hold), while writing the same registration again (every start with the same configuration) costs no login.
 */
export async function putAppliance(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'sessions'>,
  appliance: Appliance,
  credentials?: unknown,
): Promise<void> {
  const record = applianceSchema.parse(appliance);
  const parsed =
    credentials === undefined ? undefined : parse(providerOf(record.kind).schemas.credentials, credentials);
  const changed = await differsFromStored(broker, record, parsed);
  if (parsed !== undefined) await putSecretJson(broker.secrets, broker.registry.secretId(record.id), parsed);
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
  if (changed) await broker.sessions.forget(record.id);
}

/** Whether the stored record or credentials (key order aside) differ from these, or are absent. */
async function differsFromStored(
  broker: Pick<Broker, 'registry' | 'secrets'>,
  record: Appliance,
  credentials: unknown,
): Promise<boolean> {
  broker.registry.forget(record.id);
  const stored = await broker.registry.get(record.id).catch(() => undefined);
  if (!stored || !isDeepStrictEqual(stored, record)) return true;
  if (credentials === undefined) return false;
  const secret = await broker.secrets
    .getJson(broker.registry.secretId(record.id), { forceFetch: true })
    .catch(() => undefined);
  return !isDeepStrictEqual(secret, credentials);
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
