/**
 * The floor of the launch function's cold start (bench case 6): the smallest honest Lambda doing a click's I/O
 * with the same SDK clients the broker uses: the link claim (UpdateItem), then the registry item, the session and
 * the link's creator in one BatchGetItem (a cold click learns the appliance from the claimed link, as the launch
 * does), one HTTPS request to the appliance, the audit write (PutItem). Nothing else: no validation, no logging,
 * no metrics. Bundled with the functions' own esbuild options.
 */
import { request } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }));

function applianceCall(): Promise<number> {
  const url = new URL('/api/v1/devices', process.env.FLOOR_APPLIANCE_URL);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        ca: process.env.FLOOR_APPLIANCE_CA,
        checkServerIdentity: () => undefined,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

export const handler = async () => {
  const TableName = process.env.TABLE_NAME;
  await doc.send(
    new UpdateCommand({
      TableName,
      Key: { pk: 'FLOOR#link', sk: 'LINK' },
      UpdateExpression: 'ADD uses :one',
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
  await doc.send(
    new BatchGetCommand({
      RequestItems: {
        [TableName as string]: {
          Keys: [
            { pk: 'APPLIANCE#lab', sk: 'APPLIANCE' },
            { pk: 'SESSION#lab', sk: 'SESSION' },
            { pk: 'CLIENT#bench', sk: 'CLIENT' },
          ],
          ConsistentRead: true,
        },
      },
    }),
  );
  const status = await applianceCall();
  await doc.send(
    new PutCommand({ TableName, Item: { pk: 'FLOOR#audit', sk: String(Date.now()), status, ttl: 1 } }),
  );
  return { statusCode: 302, headers: { location: 'https://appliance.invalid/' }, body: '' };
};
