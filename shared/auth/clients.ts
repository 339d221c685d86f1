import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { idSchema } from '../appliances/schemas.js';
import { type Clock, jitter, sleep } from '../clock.js';
import { hmacHex, randomToken } from '../crypto/index.js';
import { NotFoundError } from '../errors.js';
import { LruMap } from '../limits/lru-map.js';
import { storeCall, type Table } from '../store/dynamo.js';
import * as z from '../zod.js';
import { OPERATOR_CLI_PRINCIPAL, type Principal, SCOPES } from './principal.js';

/** A client definition as operators write it (config file, CLI). */
export const clientSchema = z.strictObject({
  id: idSchema.check(
    z.refine((id) => id !== OPERATOR_CLI_PRINCIPAL.clientId, {
      message: `${OPERATOR_CLI_PRINCIPAL.clientId} is reserved for links the operator CLI creates`,
    }),
  ),
  scopes: z.array(z.enum(SCOPES)).check(z.minLength(1)),
  appliances: z.array(z.union([z.literal('*'), idSchema])).check(z.minLength(1)),
});
export type ClientDefinition = z.infer<typeof clientSchema>;

/** API keys: at least 32 characters, printable ASCII without spaces (they travel in a header). */
export const apiKeySchema = z
  .string()
  .check(
    z.minLength(32, 'must be at least 32 characters'),
    z.maxLength(256),
    z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  );

const clientKey = (id: string) => ({ pk: `CLIENT#${id}`, sk: 'CLIENT' });
const apiKeyKey = (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' });

export interface ClientStoreOptions {
  table: Table;
  pepper: () => Promise<Buffer>;
  clock: Clock;
  /**
   * How long an authentication result, or a client looked up by id (a link's creator), is reused in this
   * process: how long a revoked or narrowed client's keys and links keep working here (default 30 s).
   */
  cacheMs?: number;
  /** How many keys' results this process remembers (default 10,000), unknown keys included. */
  cacheEntries?: number;
}

/**
 * API clients. Keys are stored only as HMAC-SHA-256 with a server-side pepper and looked up by that hash, so
 * comparison happens inside DynamoDB's key match on a value the caller cannot choose to be close to another.
 */
export class ClientStore {
  /** Keyed by whatever key callers send, known or not: bounded so junk keys cannot grow the process. */
  private readonly cache: LruMap<string, { principal: Principal | undefined; until: number }>;
  /** Link creators by client id: only ids of stored links reach it, still bounded like the key cache. */
  private readonly byIdCache: LruMap<string, { principal: Promise<Principal | undefined>; until: number }>;

  constructor(private readonly options: ClientStoreOptions) {
    this.cache = new LruMap(options.cacheEntries ?? 10_000);
    this.byIdCache = new LruMap(options.cacheEntries ?? 10_000);
  }

  /** How long this process trusts what it read about a client. */
  get cacheMs(): number {
    return this.options.cacheMs ?? 30_000;
  }

  /** Creates (or replaces) a client; returns the API key, which is never stored or shown again. */
  async create(definition: ClientDefinition, apiKey = `clb_${randomToken(32)}`): Promise<{ apiKey: string }> {
    const client = clientSchema.parse(definition);
    apiKeySchema.parse(apiKey);
    // Several processes loading one configuration race on the same items; the transaction is safe to repeat.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(client, apiKey);
        break;
      } catch (error) {
        if (attempt >= 5 || !(error instanceof Error) || error.name !== 'TransactionCanceledException')
          throw error;
        await sleep(jitter(50 * attempt));
      }
    }
    this.cache.clear();
    this.byIdCache.clear();
    return { apiKey };
  }

  private async write(client: ClientDefinition, apiKey: string): Promise<void> {
    const keyHash = hmacHex(await this.options.pepper(), apiKey);
    const { table } = this.options;
    const existing = await this.getRecord(client.id);
    const createdAt = new Date(this.options.clock()).toISOString();
    await storeCall('store a client', () =>
      table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            ...(existing && existing.keyHash !== keyHash
              ? [{ Delete: { TableName: table.name, Key: apiKeyKey(existing.keyHash) } }]
              : []),
            {
              Put: {
                TableName: table.name,
                Item: {
                  ...clientKey(client.id),
                  gsi1pk: 'CLIENTS',
                  gsi1sk: client.id,
                  ...client,
                  keyHash,
                  createdAt,
                },
              },
            },
            { Put: { TableName: table.name, Item: { ...apiKeyKey(keyHash), ...client } } },
          ],
        }),
      ),
    );
  }

  /** The client an API key belongs to, or undefined for an unknown key. */
  async authenticate(apiKey: string): Promise<Principal | undefined> {
    if (!apiKeySchema.safeParse(apiKey).success) return undefined;
    const hash = hmacHex(await this.options.pepper(), apiKey);
    const now = this.options.clock();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const { table } = this.options;
    const { Item } = await storeCall('authenticate a client', () =>
      table.doc.send(new GetCommand({ TableName: table.name, Key: apiKeyKey(hash) })),
    );
    const parsed = Item
      ? clientSchema.safeParse({ id: Item.id, scopes: Item.scopes, appliances: Item.appliances })
      : undefined;
    const principal = parsed?.success
      ? { clientId: parsed.data.id, scopes: parsed.data.scopes, appliances: parsed.data.appliances }
      : undefined;
    this.cache.set(hash, { principal, until: now + this.cacheMs });
    return principal;
  }

  /**
   * A client as it stands now, by id (a link's creator at click time), or undefined once it is revoked. One
   * read per client per cache lifetime in this process; concurrent first clicks share it. The operator CLI's
   * built-in principal is never stored.
   */
  byId(id: string): Promise<Principal | undefined> {
    if (id === OPERATOR_CLI_PRINCIPAL.clientId) return Promise.resolve(OPERATOR_CLI_PRINCIPAL);
    const now = this.options.clock();
    const cached = this.byIdCache.get(id);
    if (cached && cached.until > now) return cached.principal;
    const principal = this.readPrincipal(id);
    this.byIdCache.set(id, { principal, until: now + this.cacheMs });
    // A failed read is not remembered: the next click asks again.
    principal.catch(() => this.byIdCache.delete(id));
    return principal;
  }

  private async readPrincipal(id: string): Promise<Principal | undefined> {
    const { table } = this.options;
    const item = await storeCall('read a client', () => table.read(clientKey(id)));
    const parsed = item
      ? clientSchema.safeParse({ id: item.id, scopes: item.scopes, appliances: item.appliances })
      : undefined;
    return parsed?.success
      ? { clientId: parsed.data.id, scopes: parsed.data.scopes, appliances: parsed.data.appliances }
      : undefined;
  }

  /** Every client (without key material), ordered by id. */
  async list(): Promise<(ClientDefinition & { createdAt: string })[]> {
    const { table } = this.options;
    const { Items } = await storeCall('list clients', () =>
      table.doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': 'CLIENTS' },
        }),
      ),
    );
    return (Items ?? []).map((item) => ({
      id: String(item.id),
      scopes: item.scopes as ClientDefinition['scopes'],
      appliances: item.appliances as string[],
      createdAt: String(item.createdAt),
    }));
  }

  /** Deletes a client and its key at once. */
  async revoke(id: string): Promise<void> {
    const existing = await this.getRecord(id);
    if (!existing) throw new NotFoundError('client', id);
    const { table } = this.options;
    await storeCall('revoke a client', () =>
      table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: table.name, Key: clientKey(id) } },
            { Delete: { TableName: table.name, Key: apiKeyKey(existing.keyHash) } },
          ],
        }),
      ),
    );
    this.cache.clear();
    this.byIdCache.clear();
  }

  private async getRecord(id: string): Promise<{ keyHash: string } | undefined> {
    const { table } = this.options;
    const { Item } = await storeCall('read a client', () =>
      table.doc.send(new GetCommand({ TableName: table.name, Key: clientKey(id), ConsistentRead: true })),
    );
    return Item ? { keyHash: String(Item.keyHash) } : undefined;
  }
}
