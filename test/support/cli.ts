import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../infra/cli/args.js';
import { runCli } from '../../infra/cli/cli.js';

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
