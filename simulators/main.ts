/**
 * `npm run simulator -- --kind dsview|vcenter|dcv|password-safe [options]`: starts one console source's HTTPS
 * simulator. Each kind's own `main.ts` parses the rest of the arguments and prints the `ready` line.
 */
import { takeOption } from './common/main.js';

const KINDS = ['dsview', 'vcenter', 'dcv', 'password-safe'] as const;

const args = process.argv.slice(2);
const kind = takeOption(args, 'kind') ?? 'dsview';
if (!(KINDS as readonly string[]).includes(kind)) {
  process.stderr.write(`--kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}\n`);
  process.exit(2);
}
process.argv.splice(2, process.argv.length - 2, ...args);
await import(`./${kind}/main.js`);
