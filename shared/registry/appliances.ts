import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ApplianceCredentialsMissingError } from '../appliances/errors.js';
import { type Appliance, applianceSchema, providerOf } from '../appliances/providers.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { SecretStore } from '../secrets/store.js';
import { storeCall, type Table } from '../store/dynamo.js';
import { safeParse } from '../zod.js';

/** The registry item of an appliance. */
export const applianceKey = (id: string) => ({ pk: `APPLIANCE#${id}`, sk: 'APPLIANCE' });

export interface ApplianceRegistryOptions {
  table: Table;
  secrets: SecretStore;
  secretPrefix: string;
  cacheMs: number;
  clock: Clock;
}

/**
 * Registered appliances (DynamoDB) and their credentials (one Secrets Manager secret each). Records are cached
 * in memory for a short time so the click path reads neither store when warm. Reads only: registering and
 * removing are the operator tools' (shared/registry/admin.ts).
 */
export class ApplianceRegistry {
  private readonly cache = new Map<string, { appliance: Appliance; until: number }>();

  constructor(private readonly options: ApplianceRegistryOptions) {}

  /** The appliance, from the cache when fresh; `NotFoundError` if it is not registered. */
  async get(id: string): Promise<Appliance> {
    const now = this.options.clock();
    const cached = this.cache.get(id);
    if (cached && cached.until > now) return cached.appliance;
    const { table } = this.options;
    const item = await storeCall('read an appliance', () => table.read(applianceKey(id)));
    if (!item) throw new NotFoundError('appliance', id);
    const appliance = applianceSchema.parse(item.appliance);
    this.cache.set(id, { appliance, until: now + this.options.cacheMs });
    return appliance;
  }

  /** Every registered appliance, ordered by id. */
  async list(): Promise<Appliance[]> {
    const { table } = this.options;
    const appliances: Appliance[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await storeCall('list appliances', () =>
        table.doc.send(
          new QueryCommand({
            TableName: table.name,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': 'APPLIANCES' },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) appliances.push(applianceSchema.parse(item.appliance));
      start = page.LastEvaluatedKey;
    } while (start);
    return appliances;
  }

  /** Drops a cached record, after the operator tools wrote or removed it (shared/registry/admin.ts). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** The stored credentials, through the secrets cache, in the shape the appliance's kind needs. */
  async credentials(
    which: string | Pick<Appliance, 'id' | 'kind'>,
    options: { forceFetch?: boolean } = {},
  ): Promise<Record<string, string>> {
    const appliance = typeof which === 'string' ? await this.get(which) : which;
    const value = await this.options.secrets.getJson(this.secretId(appliance.id), options);
    const parsed = safeParse(providerOf(appliance.kind).schemas.credentials, value);
    if (!parsed.success) throw new ApplianceCredentialsMissingError(appliance.id);
    return parsed.data as Record<string, string>;
  }

  /** The Secrets Manager name of an appliance's credentials. */
  secretId(id: string): string {
    return `${this.options.secretPrefix}${id}`;
  }
}
