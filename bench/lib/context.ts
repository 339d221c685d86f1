import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { applyEnv, localAwsEnv } from '../../infra/local/aws-env.js';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { startSecretsEndpoint } from '../../infra/local/secrets-endpoint.js';
import type { Row } from './table.js';

/** What every case gets: the run's size, the shared local engines, and a place to register cleanups. */
export interface BenchContext {
  quick: boolean;
  /** Alternating sample pairs per latency case (≥30). */
  pairs: number;
  dynamodbEndpoint: string;
  secretsEndpoint: string;
  /** Env vars that point SDK clients at the local engines. */
  awsEnv: Record<string, string>;
  /** A fresh table name (created) for one case. */
  newTable(prefix: string): Promise<string>;
  /** Runs at the end of the run, newest first, even on failure. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** Progress line on stderr. */
  log(message: string): void;
  /** Raw samples to keep in the JSON. */
  samples: Record<string, unknown>;
  /** Lazily shared fixtures (e.g. the broker fleet of cases 4 and 5). */
  shared: Map<string, Promise<unknown>>;
}

export interface BenchCase {
  id: number;
  title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let tables = 0;

export async function createContext(options: {
  quick: boolean;
  log: (message: string) => void;
}): Promise<BenchContext> {
  const [dynamodb, secrets] = await Promise.all([
    startDynamoDbLocal({ startTimeoutMs: 60_000 }),
    startSecretsEndpoint(),
  ]);
  cleanups.push(
    () => secrets.stop(),
    () => (dynamodb as DynamoDbLocal).stop(),
  );
  const awsEnv = localAwsEnv({ dynamodb: dynamodb.endpoint, secretsManager: secrets.endpoint });
  applyEnv(awsEnv);
  const client = new DynamoDBClient({});
  cleanups.push(() => client.destroy());
  return {
    quick: options.quick,
    pairs: options.quick ? 30 : 60,
    dynamodbEndpoint: dynamodb.endpoint,
    secretsEndpoint: secrets.endpoint,
    awsEnv,
    async newTable(prefix) {
      const name = `bench-${prefix}-${process.pid}-${++tables}`;
      await ensureTable(client, name);
      return name;
    },
    defer: (cleanup) => cleanups.push(cleanup),
    log: options.log,
    samples: {},
    shared: new Map(),
  };
}

/** Runs every registered cleanup, newest first; never throws. */
export async function cleanUp(): Promise<void> {
  while (cleanups.length) {
    const cleanup = cleanups.pop();
    try {
      await Promise.race([cleanup?.(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    } catch {
      // Best effort: the next cleanup still runs.
    }
  }
}
