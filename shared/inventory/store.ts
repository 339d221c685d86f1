import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Device } from '../appliances/provider.js';
import { sendUntilProcessed, storeCall, type Table } from '../store/dynamo.js';

/** A device as the inventory keeps it. */
export interface InventoryDevice extends Device {
  applianceId: string;
  /** The appliance's kind (from the registry when searched; not stored per device). */
  kind?: string;
  /** ISO time a sync last confirmed the device. */
  lastSeenAt: string;
}

const partition = (applianceId: string) => `INV#${applianceId}`;
const deviceSort = (deviceId: string) => `DEV#${deviceId}`;
const VERSION_KEY = { pk: 'INVENTORY', sk: 'VERSION' };
const BATCH = 25;
/** Requests one batch of writes may take while DynamoDB leaves items unprocessed (throttling). */
const WRITE_ATTEMPTS = 9;

/**
 * The synced inventory in DynamoDB: one partition per appliance (`INV#<applianceId>`), one item per device
 * keyed by device id, so a rename is an in-place update. A version item changes whenever any device does,
 * which lets readers keep a snapshot and reload only after a change.
 */
export class InventoryStore {
  constructor(private readonly table: Table) {}

  /** Every stored device of one appliance (a Query of its partition). */
  async devicesOf(applianceId: string): Promise<InventoryDevice[]> {
    const devices: InventoryDevice[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await storeCall('read the inventory', () =>
        this.table.doc.send(
          new QueryCommand({
            TableName: this.table.name,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dev)',
            ExpressionAttributeValues: { ':pk': partition(applianceId), ':dev': 'DEV#' },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) devices.push(toDevice(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return devices;
  }

  /** One stored device, or undefined (a GetItem). */
  async device(applianceId: string, deviceId: string): Promise<InventoryDevice | undefined> {
    const { Item } = await storeCall('read the inventory', () =>
      this.table.doc.send(
        new GetCommand({
          TableName: this.table.name,
          Key: { pk: partition(applianceId), sk: deviceSort(deviceId) },
        }),
      ),
    );
    return Item ? toDevice(Item) : undefined;
  }

  /** Writes puts and deletes in BatchWriteItem requests of 25, retrying unprocessed items with backoff. */
  async write(applianceId: string, puts: InventoryDevice[], deletes: string[]): Promise<number> {
    const requests = [
      ...puts.map((device) => ({
        PutRequest: {
          Item: {
            pk: partition(applianceId),
            sk: deviceSort(device.id),
            ...withoutKind(device),
          },
        },
      })),
      ...deletes.map((deviceId) => ({
        DeleteRequest: { Key: { pk: partition(applianceId), sk: deviceSort(deviceId) } },
      })),
    ];
    let requestsSent = 0;
    for (let i = 0; i < requests.length; i += BATCH) {
      requestsSent += await sendUntilProcessed(
        'inventory writes',
        requests.slice(i, i + BATCH),
        { attempts: WRITE_ATTEMPTS, backoffMs: 50 },
        async (pending) => {
          const result = await storeCall('write the inventory', () =>
            this.table.doc.send(new BatchWriteCommand({ RequestItems: { [this.table.name]: pending } })),
          );
          return (result.UnprocessedItems?.[this.table.name] ?? []) as typeof pending;
        },
      );
    }
    return requestsSent;
  }

  /** Marks that the inventory changed, so snapshots reload. */
  async bumpVersion(): Promise<void> {
    await storeCall('update the inventory version', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: VERSION_KEY,
          UpdateExpression: 'ADD version :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
  }

  /** The current inventory version (0 before the first change). */
  async version(): Promise<number> {
    const { Item } = await storeCall('read the inventory version', () =>
      this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: VERSION_KEY })),
    );
    return typeof Item?.version === 'number' ? Item.version : 0;
  }
}

function toDevice(item: Record<string, unknown>): InventoryDevice {
  return {
    id: String(item.id),
    name: String(item.name),
    type: String(item.type),
    connectionPaths: (item.connectionPaths as string[] | undefined) ?? [],
    viewerTypes: (item.viewerTypes as string[] | undefined) ?? [],
    ...(typeof item.state === 'string' ? { state: item.state } : {}),
    ...(typeof item.owner === 'string' ? { owner: item.owner } : {}),
    ...(item.tags && typeof item.tags === 'object' ? { tags: item.tags as Record<string, string> } : {}),
    applianceId: String(item.applianceId),
    lastSeenAt: String(item.lastSeenAt),
  };
}

/** The kind is the appliance's, not the device's: it is never written per device. */
function withoutKind({ kind: _kind, ...device }: InventoryDevice): Omit<InventoryDevice, 'kind'> {
  return device;
}
