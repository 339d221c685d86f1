import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../shared/aws-client-options.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { SecretStore } from '../../shared/secrets/store.js';
import { createTable, storeCall } from '../../shared/store/dynamo.js';

/**
 * An endpoint that accepts connections and never answers (a paused engine, a black-holed route): every store
 * call fails within its attempts' timeouts as the 503 naming the store, instead of hanging the request.
 */
let hung: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  hung = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const address = hung.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hung.close(resolve));
});

const local = () => ({
  ...awsClientOptions(),
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'hung', secretAccessKey: 'hung' },
});

describe('a hung endpoint', () => {
  it('fails a DynamoDB read and a secret read as 503s within their timeouts, not at 29 s', async () => {
    const { requestHandler, maxAttempts } = awsClientOptions();
    const bound = maxAttempts * (requestHandler.connectionTimeout + requestHandler.requestTimeout) + 2_000;
    const started = Date.now();
    const table = createTable('hung', new DynamoDBClient(local()));
    const secrets = new SecretStore(new SecretsManagerClient(local()), 0);
    const [read, secret] = await Promise.all([
      storeCall('read an appliance', () => table.read({ pk: 'A#1', sk: 'X' })).catch(
        (error: unknown) => error,
      ),
      secrets.getJson('broker/keys').catch((error: unknown) => error),
    ]);
    const elapsed = Date.now() - started;
    expect(read).toBeInstanceOf(StoreUnavailableError);
    expect((read as Error).message).toContain('state store unavailable');
    expect(secret).toBeInstanceOf(StoreUnavailableError);
    expect((secret as Error).message).toContain('secret store unavailable');
    // Each attempt waited out the answer timeout, and all of them ended well before API Gateway's 29 s.
    expect(elapsed).toBeGreaterThanOrEqual(requestHandler.requestTimeout);
    expect(elapsed).toBeLessThan(bound);
  }, 30_000);
});
