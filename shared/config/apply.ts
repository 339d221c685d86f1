import { isDeepStrictEqual } from 'node:util';
import { applianceSchema, providerOf } from '../appliances/providers.js';
import type { Broker } from '../broker.js';
import { putAppliance } from '../registry/admin.js';
import type { ConfigFile } from './file.js';

/**
 * Loads a configuration's appliances (record + credentials secret) and clients (hashed keys) into the stores.
 * An appliance whose record or credentials changed starts without its stored session, login lease or
 * refused-login hold: they belong to the old ones (a corrected password must not wait out the hold).
 */
export async function applyConfig(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'clients' | 'sessions'>,
  config: ConfigFile,
): Promise<void> {
  for (const { credentials, ...appliance } of config.appliances) {
    const changed = await differsFromStored(broker, appliance, credentials);
    await putAppliance(broker, appliance, credentials);
    if (changed) await broker.sessions.forget(appliance.id);
  }
  for (const { apiKey, ...client } of config.clients) {
    await broker.clients.create(client, apiKey);
  }
}

/** Whether the stored record or credentials (key order aside) differ from the configuration's, or are absent. */
async function differsFromStored(
  broker: Pick<Broker, 'registry' | 'secrets'>,
  appliance: Omit<ConfigFile['appliances'][number], 'credentials'>,
  credentials: unknown,
): Promise<boolean> {
  const stored = await broker.registry.get(appliance.id).catch(() => undefined);
  if (!stored || !isDeepStrictEqual(stored, applianceSchema.parse(appliance))) return true;
  const secret = await broker.secrets
    .getJson(broker.registry.secretId(appliance.id), { forceFetch: true })
    .catch(() => undefined);
  return !isDeepStrictEqual(secret, providerOf(stored.kind).schemas.credentials.parse(credentials));
}
