// Preloaded (`node --import`) into a function's fresh process: records the name of every environment variable
// the process reads, and writes them as JSON to the file named by the last argument when the process exits.
import { writeFileSync } from 'node:fs';

const reads = new Set();
const out = process.argv.at(-1);
process.env = new Proxy(process.env, {
  get(target, key) {
    if (typeof key === 'string') reads.add(key);
    return Reflect.get(target, key);
  },
  has(target, key) {
    if (typeof key === 'string') reads.add(key);
    return Reflect.has(target, key);
  },
});
process.on('exit', () => writeFileSync(out, JSON.stringify([...reads].sort())));
