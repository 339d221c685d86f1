import { PassThrough, Writable } from 'node:stream';
import { inject } from 'vitest';
import type { CliIo } from '../../infra/cli/args.js';
import { runCli } from '../../infra/cli/cli.js';
import type { TestBroker } from './broker.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the operator CLI in this process with captured output: `stdin` is piped text (empty by default) or a
 * stream the caller drives (a fake TTY); the environment is empty unless given.
 */
export async function runCliCaptured(
  argv: string[],
  options: { stdin?: string | CliIo['stdin']; env?: Record<string, string> } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, callback) {
        append(String(chunk));
        callback();
      },
    });
  let stdin = options.stdin;
  if (stdin === undefined || typeof stdin === 'string') {
    const piped = new PassThrough();
    piped.end(stdin ?? '');
    stdin = piped;
  }
  const code = await runCli(argv, {
    stdin,
    stdout: sink((text) => {
      stdout += text;
    }),
    stderr: sink((text) => {
      stderr += text;
    }),
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

/**
 * A test broker's state as a `--local` target of the CLI and the smoke script (no public base URL): its table,
 * its keys secret and appliance secrets, on this run's engines (or another secrets endpoint, to see it fail).
 */
export function localTarget(
  broker: Pick<TestBroker, 'aws' | 'keysSecretId' | 'applianceSecretPrefix'>,
  secretsEndpoint: string = inject('secretsEndpoint'),
): string[] {
  return [
    '--local',
    '--dynamodb-endpoint',
    inject('dynamodbEndpoint'),
    '--secrets-endpoint',
    secretsEndpoint,
    '--table',
    broker.aws.tableName,
    '--keys-secret',
    broker.keysSecretId,
    '--appliance-secret-prefix',
    broker.applianceSecretPrefix,
  ];
}
