import { type CliIo, UsageError } from './args.js';

/**
 * Reads a secret the operator types or pipes; never from argv. Piped: all of stdin, one trailing newline
 * dropped. Terminal: a prompt on stderr with echo off (raw mode), so the value never appears on screen.
 */
export async function readSecret(io: CliIo, prompt: string): Promise<string> {
  const value = io.stdin.isTTY ? await promptHidden(io, prompt) : await readPiped(io);
  if (!value) {
    throw new UsageError(
      io.stdin.isTTY
        ? 'password: empty; type the password at the prompt'
        : 'password: nothing on stdin; pipe it (printf %s "$PASSWORD" | …) or run in a terminal to be prompted',
    );
  }
  if (/[\r\n]/.test(value))
    throw new UsageError('password: stdin holds more than one line; pipe only the password');
  return value;
}

async function readPiped(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new UsageError('password: cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stderr.write(prompt);
    stdin.setRawMode?.(true);
    stdin.setEncoding?.('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
