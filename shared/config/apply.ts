import type { Broker } from '../broker.js';
import { putAppliance } from '../registry/admin.js';
import type { ConfigFile } from './file.js';

/**
 * Loads a configuration's appliances (record + credentials secret) and clients (hashed keys) into the stores.
 * An appliance whose registration changed starts without its old session (see `putAppliance`).
 */
export async function applyConfig(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'clients' | 'sessions'>,
  config: ConfigFile,
): Promise<void> {
  for (const { credentials, ...appliance } of config.appliances) {
    await putAppliance(broker, appliance, credentials);
  }
  for (const { apiKey, ...client } of config.clients) {
    await broker.clients.create(client, apiKey);
  }
}
