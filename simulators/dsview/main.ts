import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Platform, type SimulatorOptions, startDsviewSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- [--port N] [--host ADDR] [--devices N] [--seed S] [--latency MS]\n' +
  '                            [--username U] [--password P] [--platform MP1000|MP1000VA|RM1048P] [--firmware X.Y.Z]\n' +
  '                            [--ca-out FILE]   (write the certificate PEM there, for appliances add --tls-ca-file)';

const PLATFORMS: readonly string[] = ['MP1000', 'MP1000VA', 'RM1048P'];

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): { options: SimulatorOptions; caOut?: string } | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      devices: { type: 'string' },
      seed: { type: 'string' },
      latency: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      platform: { type: 'string' },
      firmware: { type: 'string' },
      'ca-out': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const options: SimulatorOptions = { port: count('port', values.port), host: values.host };
  if (values.devices !== undefined) options.deviceCount = count('devices', values.devices);
  if (values.seed !== undefined) options.seed = values.seed;
  if (values.latency !== undefined) options.latencyMs = count('latency', values.latency);
  if (values.username !== undefined) options.username = values.username;
  if (values.password !== undefined) options.password = values.password;
  if (values.firmware !== undefined) options.firmwareVersion = values.firmware;
  if (values.platform !== undefined) {
    if (!PLATFORMS.includes(values.platform))
      throw new Error(`--platform must be one of ${PLATFORMS.join(', ')}`);
    options.platform = values.platform as Platform;
  }
  return values['ca-out'] === undefined ? { options } : { options, caOut: values['ca-out'] };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const simulator = await startDsviewSimulator(parsed.options);
  // The certificate is its own CA (self-signed), so this PEM is what `appliances add --tls-ca-file` takes.
  if (parsed.caOut) await writeFile(parsed.caOut, simulator.certPem);
  // One line, so scripts (and the vendor's Python example with verify=False) can be pointed at it; the
  // fingerprint is what `appliances add --tls-fingerprint` takes.
  process.stdout.write(
    `ready ${simulator.url} username=${simulator.username} password=${simulator.password} fingerprint256=${simulator.fingerprint256}\n`,
  );
  const stop = (): void => {
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
