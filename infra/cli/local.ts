import { join } from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startSecretsEndpoint } from '../local/secrets-endpoint.js';
import { positionalArgs, str, UsageError } from './args.js';
import type { CliCommand } from './command.js';
import { LOCAL_DEFAULTS } from './target.js';

const defaultPort = (url: string) => new URL(url).port;

const engines: CliCommand = {
  name: 'local engines',
  summary: 'run DynamoDB Local and the local secrets endpoint for `npm start` and the CLI to share',
  target: false,
  options: {
    'data-dir': {
      type: 'string',
      value: '<dir>',
      description: 'keep state here across restarts (default: in memory)',
    },
    'dynamodb-port': {
      type: 'string',
      value: '<port>',
      description: `DynamoDB Local port (default ${defaultPort(LOCAL_DEFAULTS.dynamodbEndpoint)}; 0 picks a free one)`,
    },
    'secrets-port': {
      type: 'string',
      value: '<port>',
      description: `secrets endpoint port (default ${defaultPort(LOCAL_DEFAULTS.secretsEndpoint)}; 0 picks a free one)`,
    },
  },
  details: `\`npm start\` otherwise starts private engines that nothing else can reach. With these running:
  BROKER_DYNAMODB_ENDPOINT=${LOCAL_DEFAULTS.dynamodbEndpoint} BROKER_SECRETS_ENDPOINT=${LOCAL_DEFAULTS.secretsEndpoint} npm start
  npm run cli -- appliances list --local
On other ports, use the two endpoints it prints (for npm start, and for the CLI as the same variables or as
--dynamodb-endpoint/--secrets-endpoint). Runs in the foreground until Ctrl-C. Needs Java 17+ (DynamoDB Local).`,
  async run(context, args) {
    positionalArgs(args, this, 2);
    const dataDir = str(args.values, 'data-dir');
    const dynamodbPort = port(args.values, 'dynamodb-port', defaultPort(LOCAL_DEFAULTS.dynamodbEndpoint));
    const secretsPort = port(args.values, 'secrets-port', defaultPort(LOCAL_DEFAULTS.secretsEndpoint));
    const secrets = await startSecretsEndpoint({
      ...(secretsPort ? { port: secretsPort } : {}),
      ...(dataDir ? { dataFile: join(dataDir, 'secrets.json') } : {}),
    });
    let dynamodb: Awaited<ReturnType<typeof startDynamoDbLocal>>;
    try {
      dynamodb = await startDynamoDbLocal({
        ...(dynamodbPort ? { port: dynamodbPort } : {}),
        ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
      });
    } catch (error) {
      await secrets.stop();
      throw error;
    }
    context.out(`BROKER_DYNAMODB_ENDPOINT=${dynamodb.endpoint}`);
    context.out(`BROKER_SECRETS_ENDPOINT=${secrets.endpoint}`);
    context.err(
      `ready: local engines${dataDir ? ` with state in ${dataDir}` : ' (in memory)'}; Ctrl-C stops them`,
    );
    const stopped = new Promise<'signal'>((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
    });
    // A DynamoDB Local that dies (killed, out of memory) must not leave a half that still says ready.
    const ended = await Promise.race([stopped, dynamodb.exited]);
    await Promise.all([dynamodb.stop(), secrets.stop()]);
    if (ended === 'signal') return 0;
    context.err(
      `DynamoDB Local stopped on its own (code ${ended.code}, signal ${ended.signal}); the secrets endpoint is stopped too`,
    );
    return 1;
  },
};

export const localCommands: CliCommand[] = [engines];

function port(values: Record<string, unknown>, name: string, fallback: string): number {
  const text = str(values as never, name) ?? fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535)
    throw new UsageError(`--${name}: must be a port number (0-65535)`);
  return value;
}
