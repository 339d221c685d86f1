import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The one zod the Lambdas bundle: `zod/mini`, whose functions tree-shake (classic zod hangs every method on
 * its prototypes, so each bundle carried all of it, ~100 KB). Mini ships no messages; the English locale is
 * loaded here, once, so errors read as classic zod's did. Loaded by its own path: `z.locales` would bring
 * every language.
 */
config(en());

export * from 'zod/mini';
