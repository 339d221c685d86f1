import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyEnv, localAwsEnv } from '../../infra/local/aws-env.js';
import { type SecretsEndpoint, startSecretsEndpoint } from '../../infra/local/secrets-endpoint.js';
import { fetchSecretsStats } from '../support/aws.js';

function clientFor(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** fetch drops a caller's Host header, so a rebinding page's request is made with node:http. */
function postWithHost(
  endpoint: string,
  host: string,
  headers: Record<string, string>,
  payload: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method: 'POST', headers: { ...headers, host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

const uniqueName = (prefix: string) => `${prefix}/${randomBytes(4).toString('hex')}`;

describe('secrets endpoint via the real SecretsManagerClient', () => {
  let server: SecretsEndpoint;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startSecretsEndpoint();
    client = clientFor(server.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('creates, reads, rotates, describes, lists and deletes a secret', async () => {
    const name = uniqueName('broker/dsview');
    const created = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: '{"user":"a"}', Description: 'dsview creds' }),
    );
    expect(created.Name).toBe(name);
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:eu-west-2:000000000000:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);

    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got).toMatchObject({
      ARN: created.ARN,
      Name: name,
      VersionId: created.VersionId,
      SecretString: '{"user":"a"}',
      VersionStages: ['AWSCURRENT'],
    });
    expect(got.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs(got.CreatedDate!.getTime() - Date.now())).toBeLessThan(60_000);

    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: '{"user":"b"}' }),
    );
    expect(put).toMatchObject({ ARN: created.ARN, Name: name, VersionStages: ['AWSCURRENT'] });
    expect(put.VersionId).not.toBe(created.VersionId);
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      '{"user":"b"}',
    );
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('{"user":"a"}');

    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Description).toBe('dsview creds');
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId!]: ['AWSPREVIOUS'],
      [put.VersionId!]: ['AWSCURRENT'],
    });
    const listed = await client.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.map((s) => s.Name)).toContain(name);

    const deleted = await client.send(new DeleteSecretCommand({ SecretId: name }));
    expect(deleted.DeletionDate).toBeInstanceOf(Date);
    await expect(client.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    expect((await client.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name)).not.toContain(
      name,
    );

    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    await expect(client.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'again' }));
  });

  it('maps missing and duplicate secrets to the SDK exception classes', async () => {
    const error = await client.send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).name).toBe('ResourceNotFoundException');
    expect((error as Error).message).toBe("Secrets Manager can't find the specified secret.");
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);

    const name = uniqueName('dup');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    await expect(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'y' })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('looks secrets up by ARN and counts GetSecretValue calls', async () => {
    const name = uniqueName('by-arn');
    const { ARN } = await client.send(new CreateSecretCommand({ Name: name, SecretString: 's3cr3t' }));
    const before = server.stats.calls['GetSecretValue'] ?? 0;
    const got = await client.send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(got.Name).toBe(name);
    expect(got.SecretString).toBe('s3cr3t');
    expect(server.stats.calls['GetSecretValue']).toBe(before + 1);
    expect(server.stats.secretValueReads[name]).toBe(1);
  });

  it('speaks the AWS JSON 1.1 error conventions on the wire', async () => {
    const post = (target: string, body: string, auth = true) =>
      fetch(server.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': target,
          ...(auth && {
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/secretsmanager/x',
          }),
        },
        body,
      });
    const unknownOp = await post('secretsmanager.RotateEverything', '{}');
    expect(unknownOp.status).toBe(400);
    expect(await unknownOp.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const badJson = await post('secretsmanager.GetSecretValue', '{nope');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ __type: 'SerializationException' });
    const unsigned = await post('secretsmanager.ListSecrets', '{}', false);
    expect(unsigned.status).toBe(403);
    const notFound = await post('secretsmanager.GetSecretValue', '{"SecretId":"missing"}');
    expect(notFound.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await notFound.json()).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });
});

describe('secrets endpoint accepts only this broker', () => {
  let server: SecretsEndpoint;
  let name: string;
  beforeAll(async () => {
    server = await startSecretsEndpoint();
    name = uniqueName('lockdown');
    const client = clientFor(server.endpoint);
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'appliance-password' }));
    client.destroy();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('listens on the loopback address only', () => {
    expect(new URL(server.endpoint).hostname).toBe('127.0.0.1');
  });

  it('shows a caller signing with another access key nothing, not even the secret names', async () => {
    const stranger = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'AKIAOTHERPROGRAM', secretAccessKey: 'whatever' },
    });
    try {
      for (const command of [new GetSecretValueCommand({ SecretId: name }), new ListSecretsCommand({})]) {
        const error = await stranger.send(command as GetSecretValueCommand).then(
          () => undefined,
          (e: unknown) => e as { name: string; message: string },
        );
        expect(error?.name).toBe('UnrecognizedClientException');
        expect(error?.message).not.toContain(name);
      }
    } finally {
      stranger.destroy();
    }
    expect(server.stats.calls['ListSecrets'] ?? 0).toBe(0);
  });

  it('answers only the access key id it was started with', async () => {
    const own = await startSecretsEndpoint({ accessKeyId: 'AKIABROKERONLY' });
    const usual = clientFor(own.endpoint);
    const broker = new SecretsManagerClient({
      endpoint: own.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'AKIABROKERONLY', secretAccessKey: 'x' },
    });
    try {
      await expect(usual.send(new ListSecretsCommand({}))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
      });
      expect((await broker.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    } finally {
      usual.destroy();
      broker.destroy();
      await own.stop();
    }
  });

  it("refuses a browser's CORS preflight and a cross-origin request, with no Access-Control header", async () => {
    const signed = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/secretsmanager/aws4_request',
    };
    const preflight = await fetch(server.endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-amz-target',
      },
    });
    expect(preflight.status).toBe(403);
    expect([...preflight.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);

    const crossOrigin = await fetch(server.endpoint, {
      method: 'POST',
      headers: { ...signed, origin: 'https://evil.example' },
      body: JSON.stringify({ SecretId: name }),
    });
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.headers.get('access-control-allow-origin')).toBeNull();
    expect(await crossOrigin.text()).not.toContain('appliance-password');

    // A DNS-rebinding page reaches 127.0.0.1 under its own name: the Host header gives it away.
    const rebound = await postWithHost(server.endpoint, 'rebind.evil.example', signed, { SecretId: name });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('appliance-password');
  });
});

describe('secrets endpoint persistence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-endpoint-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads secrets from dataFile after a restart', async () => {
    const dataFile = join(dir, 'state', 'secrets.json');
    const first = await startSecretsEndpoint({ dataFile });
    const c1 = clientFor(first.endpoint);
    const { ARN } = await c1.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'v1' }));
    await c1.send(new PutSecretValueCommand({ SecretId: 'kept', SecretString: 'v2' }));
    await c1.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'x' }));
    await c1.send(new DeleteSecretCommand({ SecretId: 'gone', ForceDeleteWithoutRecovery: true }));
    c1.destroy();
    await first.stop();

    expect((await stat(dataFile)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'state'))).toEqual(['secrets.json']);

    const second = await startSecretsEndpoint({ dataFile });
    const c2 = clientFor(second.endpoint);
    try {
      const got = await c2.send(new GetSecretValueCommand({ SecretId: ARN }));
      expect(got).toMatchObject({ Name: 'kept', SecretString: 'v2' });
      expect(
        (await c2.send(new GetSecretValueCommand({ SecretId: 'kept', VersionStage: 'AWSPREVIOUS' })))
          .SecretString,
      ).toBe('v1');
      await expect(c2.send(new GetSecretValueCommand({ SecretId: 'gone' }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
    } finally {
      c2.destroy();
      await second.stop();
    }
  });
});

describe('Powertools getSecret against the shared endpoint', () => {
  it('finds the endpoint through AWS_ENDPOINT_URL_SECRETS_MANAGER and caches the value', async () => {
    applyEnv(
      localAwsEnv({ dynamodb: inject('dynamodbEndpoint'), secretsManager: inject('secretsEndpoint') }),
    );
    const name = uniqueName('powertools');
    // No endpoint option: like a handler, the client must resolve it from the env var.
    const envClient = new SecretsManagerClient({});
    await envClient.send(new CreateSecretCommand({ Name: name, SecretString: '{"token":"t"}' }));
    envClient.destroy();

    expect(await getSecret(name)).toBe('{"token":"t"}');
    expect(await getSecret(name, { transform: 'json' })).toEqual({ token: 't' });
    expect(await getSecret(name)).toBe('{"token":"t"}');
    // Only the first plain call and the differently-keyed JSON call reach the endpoint; the third is a cache hit.
    const stats = await fetchSecretsStats();
    expect(stats.secretValueReads[name]).toBe(2);
  });
});
