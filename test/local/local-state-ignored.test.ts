import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSecretsEndpoint } from '../../infra/local/secrets-endpoint.js';

/** Local state holds appliance passwords and keys in clear: git never picks it up, and only its owner reads it. */

const inGitCheckout = existsSync('.git');

/** The paths the README and docs suggest for local state, and the files they hold. */
const LOCAL_STATE = [
  '.broker-data/secrets.json',
  '.broker-data/dynamodb/shared-local-instance.db',
  '.data/secrets.json',
  'secrets.json',
  'broker.config.json',
  'broker.config.lab.json',
];

describe('local state', () => {
  it.skipIf(!inGitCheckout)('is ignored by git wherever the docs put it', () => {
    for (const path of LOCAL_STATE) {
      // check-ignore exits 0 when the path is ignored (and 1, which throws, when it is not).
      expect(() => execFileSync('git', ['check-ignore', '-q', '--no-index', path]), path).not.toThrow();
    }
  });

  it('the secrets file and its directory are readable by their owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clb-local-state-'));
    try {
      const dataFile = join(dir, 'state', 'secrets.json');
      const endpoint = await startSecretsEndpoint({ dataFile });
      try {
        const response = await fetch(endpoint.endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'secretsmanager.CreateSecret',
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/secretsmanager/aws4_request',
          },
          body: JSON.stringify({ Name: 'appliances/lab', SecretString: '{"password":"x"}' }),
        });
        expect(response.status).toBe(200);
      } finally {
        await endpoint.stop();
      }
      expect((await stat(dataFile)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
