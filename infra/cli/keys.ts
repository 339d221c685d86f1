import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { sealingKey } from '../../shared/crypto/index.js';
import {
  type BrokerKeyDocument,
  parseKeyDocument,
  retirePreviousSessionKeys,
  rotateCursorKey,
  rotateSessionKey,
} from '../../shared/secrets/broker-keys.js';
import { CliError, flag, UsageError } from './args.js';
import type { CliCommand, CliContext } from './command.js';

/** Reads the keys secret straight from Secrets Manager (no cache: the CLI acts on the newest version). */
async function readDocument(context: CliContext): Promise<BrokerKeyDocument> {
  const target = await context.target();
  const { SecretString } = await target.secretsManager
    .send(new GetSecretValueCommand({ SecretId: target.keysSecretId }))
    .catch((error: unknown) => {
      throw new CliError(`cannot read the keys secret ${target.keysSecretId}: ${(error as Error).message}`);
    });
  const document = parseKeyDocument(SecretString === undefined ? undefined : safeJson(SecretString));
  if (!document) throw new CliError(`the keys secret ${target.keysSecretId} does not hold a key document`);
  return document;
}

async function writeDocument(context: CliContext, document: BrokerKeyDocument): Promise<void> {
  const target = await context.target();
  await target.secretsManager.send(
    new PutSecretValueCommand({ SecretId: target.keysSecretId, SecretString: JSON.stringify(document) }),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What the document holds, by key id only: never a key. */
function describe(document: BrokerKeyDocument): string {
  const id = (key: string) => sealingKey(Buffer.from(key, 'base64')).id;
  const previous = (document.previousSessionKeys ?? []).map(id);
  return [
    `session key: ${id(document.sessionKey)}`,
    `previous session keys (still readable): ${previous.length ? previous.join(', ') : 'none'}`,
    `cursor key: ${document.cursorKey ? id(document.cursorKey) : 'derived from the API key pepper (rotate --cursor gives it its own)'}`,
  ].join('\n');
}

const show: CliCommand = {
  name: 'keys show',
  summary: 'show the ids of the broker keys (never the keys)',
  target: true,
  options: {},
  async run(context) {
    context.out(describe(await readDocument(context)));
    return 0;
  },
};

const rotate: CliCommand = {
  name: 'keys rotate',
  summary: 'replace the session key (sealing appliance sessions) or the cursor signing key',
  target: true,
  options: {
    session: {
      type: 'boolean',
      description: 'new session key; the old one stays readable until `keys retire`',
    },
    cursor: {
      type: 'boolean',
      description: 'new cursor signing key; page cursors handed out before are refused',
    },
  },
  details: `Session key: every broker process picks the new key up within the secrets cache lifetime (SECRETS_CACHE_SECONDS,
default 300 s), or at once when it meets a session sealed with it; sessions sealed with the old key still open and
are resealed at their next write (login or refresh). Run \`keys retire\` once every session has been refreshed
(after the longest appliance session lifetime); an item still sealed with a retired key costs one login.
Cursor key: a listing in progress with an old cursor answers 400 on cursor; start it again.
The API key pepper is not rotated here: rotating it invalidates every API key (issue new ones instead).`,
  async run(context, args) {
    const session = flag(args.values, 'session');
    const cursor = flag(args.values, 'cursor');
    if (!session && !cursor) throw new UsageError('say which key: --session, --cursor, or both');
    let document = await readDocument(context);
    if (session) document = rotateSessionKey(document);
    if (cursor) document = rotateCursorKey(document);
    await writeDocument(context, document);
    context.out(describe(document));
    return 0;
  },
};

const retire: CliCommand = {
  name: 'keys retire',
  summary: 'stop accepting the previous session keys (after every session was resealed)',
  target: true,
  options: {},
  async run(context) {
    const document = retirePreviousSessionKeys(await readDocument(context));
    await writeDocument(context, document);
    context.out(describe(document));
    return 0;
  },
};

export const keyCommands: CliCommand[] = [show, rotate, retire];
