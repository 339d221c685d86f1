import { ALL_VIEWER_TYPES } from '../../shared/appliances/providers.js';
import { OPERATOR_CLI_PRINCIPAL } from '../../shared/auth/principal.js';
import type { Broker } from '../../shared/broker.js';
import { NotFoundError } from '../../shared/errors.js';
import type { LinkSummary } from '../../shared/links/link-service.js';
import { CliError, flag, inWords, positionalArgs, required, str, UsageError, type Values } from './args.js';
import type { CliCommand } from './command.js';
import { LOCAL_DEFAULTS, linkBaseUrl, SETTING_DEFAULTS } from './target.js';

/**
 * Links the CLI creates are recorded as created by `operator-cli`, a built-in principal no client can be: a
 * client's revocation never stops them; `links revoke --client operator-cli` (or an admin key) does.
 */
const CLI_PRINCIPAL = OPERATOR_CLI_PRINCIPAL;
/** Pages `links list` reads at most (500 links each). */
const LIST_MAX_PAGES = 200;

const create: CliCommand = {
  name: 'links create',
  summary: 'create a one-click launch link and print its URL',
  target: true,
  options: {
    appliance: { type: 'string', value: '<id>', description: 'appliance id (required)' },
    device: {
      type: 'string',
      value: '<id|name>',
      description: 'device id, or its exact name (case-insensitive) (required)',
    },
    viewer: {
      type: 'string',
      value: '<type>',
      description: `${ALL_VIEWER_TYPES.join(', ')}, as the appliance's kind offers (required)`,
    },
    'sharing-mode': {
      type: 'string',
      value: '<mode>',
      description: 'dsview KVM only: ACTIVE, PASSIVE, PREEMPT, STEALTH, STANDALONE_PASSIVE',
    },
    'mouse-mode': {
      type: 'string',
      value: '<0|1|2>',
      description: 'dsview KVM only; 2 for ADX-IP-UHD devices only',
    },
    user: { type: 'string', value: '<name>', description: 'dcv only: the DCV user the token is minted for' },
    reason: {
      type: 'string',
      value: '<text>',
      description: 'why (an incident number); recorded on every audit event of the link',
    },
    ttl: {
      type: 'string',
      value: '<duration>',
      description: `lifetime: seconds or 30m, 12h, 7d (default LINK_DEFAULT_TTL_SECONDS, ${inWords(
        SETTING_DEFAULTS.LINK_DEFAULT_TTL_SECONDS,
      )}; more than LINK_MAX_TTL_SECONDS, ${inWords(SETTING_DEFAULTS.LINK_MAX_TTL_SECONDS)}, is refused)`,
    },
    'single-use': { type: 'boolean', description: 'the link works for one click only' },
    confirm: {
      type: 'boolean',
      description:
        'a click shows an "Open console" button first, so mail scanners and chat previews use nothing up (default LINK_CONFIRM_DEFAULT)',
    },
    json: { type: 'boolean', description: 'print {id, url, expiresAt, singleUse, confirm} as JSON' },
  },
  details: `The URL goes to stdout alone (URL=$(npm run -s cli -- links create …) works); the link id and expiry go to stderr.
The base of the URL is --public-base-url, else the stack's PublicBaseUrl output (--stack), else PUBLIC_BASE_URL;
with --local, else http://127.0.0.1:$PORT (where \`npm start\` listens; PORT default ${LOCAL_DEFAULTS.port}).
LINK_DEFAULT_TTL_SECONDS and LINK_MAX_TTL_SECONDS come from the environment when set, as for the functions.`,
  async run(context, args) {
    positionalArgs(args, this, 2);
    const { values } = args;
    const applianceId = required(values, 'appliance', 'the appliance id');
    const deviceArg = required(values, 'device', 'the device id or name');
    const viewerType = oneOf(values, 'viewer', ALL_VIEWER_TYPES, true) as string;
    const sharingMode = str(values, 'sharing-mode');
    const mouseText = str(values, 'mouse-mode');
    const mouseMode = mouseText === undefined ? undefined : Number(mouseText);
    if (mouseMode !== undefined && !/^[0-9]$/.test(mouseText ?? '')) {
      throw new UsageError('--mouse-mode: must be one of 0, 1, 2');
    }
    const ttlSeconds = parseDuration(str(values, 'ttl'));
    // No base URL is a usage error: say so before anything is written.
    linkBaseUrl(await context.target());
    const broker = await context.broker();
    const deviceId = await resolveDevice(broker, applianceId, deviceArg);
    const link = await broker.links.create(CLI_PRINCIPAL, {
      applianceId,
      deviceId,
      viewerType,
      sharingMode,
      mouseMode,
      user: str(values, 'user'),
      reason: str(values, 'reason'),
      ttlSeconds,
      singleUse: flag(values, 'single-use'),
      confirm: values.confirm === true ? true : undefined,
    });
    if (flag(values, 'json')) {
      context.out(JSON.stringify({ ...link, expiresAt: new Date(link.expiresAt).toISOString() }, null, 2));
    } else {
      context.out(link.url);
      context.err(
        `link ${link.id}: ${viewerType} on device ${deviceId} of ${applianceId}, expires ${new Date(link.expiresAt).toISOString()}${link.singleUse ? ', single use' : ''}${link.confirm ? ', asks for a confirmation' : ''}`,
      );
    }
    return 0;
  },
};

const revoke: CliCommand = {
  name: 'links revoke',
  summary: 'revoke a link by its id (lnk_…), or every live link of a client (--client); they stop at once',
  args: ['[<link id>]'],
  target: true,
  options: {
    client: {
      type: 'string',
      value: '<id>',
      description: 'revoke every live link this client created (operator-cli: the links of this CLI)',
    },
  },
  async run(context, args) {
    const rest = args.positionals.slice(2);
    const client = str(args.values, 'client');
    if (rest.length > 1 || (rest.length === 1) === (client !== undefined)) {
      throw new UsageError('links revoke: give a link id or --client <id>, not both');
    }
    const links = (await context.broker()).links;
    if (client !== undefined) {
      const { revoked } = await links.revokeAllOf(CLI_PRINCIPAL, client);
      context.out(`revoked ${revoked} link${revoked === 1 ? '' : 's'} of ${client}`);
      return 0;
    }
    const id = rest[0] as string;
    await links.revoke(CLI_PRINCIPAL, id);
    context.out(`revoked link ${id}`);
    return 0;
  },
};

const list: CliCommand = {
  name: 'links list',
  summary: "list live links (never their URLs): every client's, or one client's, appliance's or device's",
  target: true,
  options: {
    client: {
      type: 'string',
      value: '<id>',
      description: 'only links this client created (operator-cli: this CLI)',
    },
    appliance: { type: 'string', value: '<id>', description: 'only links to this appliance' },
    device: { type: 'string', value: '<id>', description: 'only links to this device id' },
    json: { type: 'boolean', description: 'print the links as a JSON array' },
  },
  details:
    'One row per live link (not revoked, not expired, not a used single-use link), newest first per client.',
  async run(context, args) {
    positionalArgs(args, this, 2);
    const { values } = args;
    const links = (await context.broker()).links;
    const found: LinkSummary[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < LIST_MAX_PAGES; page++) {
      const answer = await links.list(CLI_PRINCIPAL, {
        createdBy: str(values, 'client'),
        applianceId: str(values, 'appliance'),
        deviceId: str(values, 'device'),
        limit: 500,
        cursor,
      });
      found.push(...answer.links);
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    if (flag(values, 'json')) {
      const wire = found.map(({ createdAt, expiresAt, lastUsedAt, ...link }) => ({
        ...link,
        createdAt: iso(createdAt),
        expiresAt: iso(expiresAt),
        ...(lastUsedAt === undefined ? {} : { lastUsedAt: iso(lastUsedAt) }),
      }));
      context.out(JSON.stringify(wire, null, 2));
      return 0;
    }
    const rows = [
      ['ID', 'CLIENT', 'APPLIANCE', 'DEVICE', 'VIEWER', 'USES', 'EXPIRES', 'FLAGS'],
      ...found.map((link) => [
        link.id,
        link.createdBy,
        link.applianceId,
        link.deviceName ?? link.deviceId,
        link.viewerType,
        String(link.uses),
        iso(link.expiresAt),
        [link.singleUse ? 'single-use' : '', link.confirm ? 'confirm' : ''].filter(Boolean).join(',') || '-',
      ]),
    ];
    const widths = (rows[0] as string[]).map((_, i) =>
      Math.max(...rows.map((row) => (row[i] as string).length)),
    );
    for (const row of rows)
      context.out(
        row
          .map((cell, i) => cell.padEnd(widths[i] as number))
          .join('  ')
          .trimEnd(),
      );
    context.err(
      `${found.length} live link${found.length === 1 ? '' : 's'}${cursor ? ' (more not shown)' : ''}`,
    );
    return 0;
  },
};

export const linkCommands: CliCommand[] = [create, list, revoke];

/** A device id as given, or the id of the one device with exactly that name (synced inventory, else live). */
async function resolveDevice(broker: Broker, applianceId: string, device: string): Promise<string> {
  await broker.registry.get(applianceId);
  try {
    return (await broker.devices.get(applianceId, device)).id;
  } catch (error) {
    if (!(error instanceof NotFoundError) || error.resource !== 'device') throw error;
  }
  const wanted = device.toLowerCase();
  const matches = (await broker.devices.list(applianceId)).filter((d) => d.name.toLowerCase() === wanted);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) {
    throw new CliError(
      `--device: ${matches.length} devices of ${applianceId} are named "${device}"; pass the id`,
    );
  }
  throw new CliError(`--device: appliance ${applianceId} has no device with id or name "${device}"`);
}

function oneOf(
  values: Values,
  name: string,
  allowed: readonly string[],
  needed: boolean,
): string | undefined {
  const value = needed ? required(values, name, allowed.join(', ')) : str(values, name);
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!allowed.includes(upper)) throw new UsageError(`--${name}: must be one of ${allowed.join(', ')}`);
  return upper;
}

/** `3600`, `90s`, `30m`, `12h`, `7d` → seconds; undefined when absent. */
function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match?.[2]?.toLowerCase() ?? ''];
  if (!match || unit === undefined || Number(match[1]) < 1) {
    throw new UsageError('--ttl: must be a positive duration such as 3600, 30m, 12h or 7d');
  }
  return Number(match[1]) * unit;
}
