import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The one zod the Lambdas bundle: `zod/mini`, whose functions tree-shake (classic zod hangs every method on
 * its prototypes, so each bundle carried all of it, ~100 KB). Mini ships no messages; the English locale is
 * loaded here, once, so errors read as classic zod's did. Loaded by its own path: `z.locales` would bring
 * every language.
 *
 * `jitless`: zod otherwise compiles a specialised parser for each object schema (`new Function`), work that a
 * Lambda cold start pays in full and a warm click, with its few small parses, never earns back: the launch cold
 * start measured 218-244 → 177-182 ms of CPU with it (bench case 6, import 74 → 52 ms).
 */
config({ ...en(), jitless: true });

export * from 'zod/mini';
