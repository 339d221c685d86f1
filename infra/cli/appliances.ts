import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { ApplianceCredentialsMissingError } from '../../shared/appliances/errors.js';
import { normalizeFingerprint } from '../../shared/appliances/https-pool.js';
import type { TlsTrust } from '../../shared/appliances/provider.js';
import { type Appliance, applianceSchema, KINDS, providerOf } from '../../shared/appliances/providers.js';
import { idSchema, tlsSchema } from '../../shared/appliances/schemas.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import type { Broker } from '../../shared/broker.js';
import { NotFoundError } from '../../shared/errors.js';
import { putAppliance, removeAppliance } from '../../shared/registry/admin.js';
import {
  CliError,
  flag,
  inWords,
  JSON_OPTION,
  type OptionSpecs,
  type ParsedArgs,
  positionalArgs,
  printRows,
  required,
  str,
  UsageError,
} from './args.js';
import type { CliCommand, CliContext } from './command.js';
import { fieldsFromFlags, kindOptionSpecs } from './provider-flags.js';
import { readSecret } from './secret-input.js';
import { SETTING_DEFAULTS } from './target.js';

/**
 * How soon running broker processes use changed credentials or a changed record: the CLI drops the stored
 * session and any refused-login hold, but warm functions keep what they read for SECRETS_CACHE_SECONDS (and
 * the record for REGISTRY_CACHE_SECONDS).
 */
const SECRET_PICKUP = `within ${inWords(SETTING_DEFAULTS.SECRETS_CACHE_SECONDS)} (the functions' secret cache)`;
const RECORD_PICKUP = `within ${inWords(
  Math.max(SETTING_DEFAULTS.SECRETS_CACHE_SECONDS, SETTING_DEFAULTS.REGISTRY_CACHE_SECONDS),
)} (the functions' registry and secret caches)`;

const TLS_OPTIONS: OptionSpecs = {
  'tls-ca-file': {
    type: 'string',
    value: '<pem file>',
    description: 'trust this CA or self-signed certificate (PEM)',
  },
  'tls-fingerprint': {
    type: 'string',
    value: '<sha256>',
    description: 'pin the certificate’s SHA-256 fingerprint (AB:CD:… as `appliances test` prints it)',
  },
  'tls-insecure': { type: 'boolean', description: 'no certificate verification (logged as a warning)' },
};

const PASSWORD_HELP = `The password (dcv: the client secret; password-safe: the API key) is read from stdin when it is
piped (printf %s "$PASSWORD" | …) or asked for at a prompt without echo in a terminal.
It is never taken from the command line and never printed.`;

const add: CliCommand = {
  name: 'appliances add',
  summary: 'register an appliance and store its credentials',
  args: ['<id>'],
  target: true,
  options: {
    kind: { type: 'string', value: '<kind>', description: `${KINDS.join(', ')} (default dsview)` },
    name: { type: 'string', value: '<text>', description: 'display name (required)' },
    'base-url': { type: 'string', value: '<https url>', description: 'https://host[:port] (required)' },
    ...kindOptionSpecs(),
    ...TLS_OPTIONS,
    replace: { type: 'boolean', description: 'update an existing appliance (and its password)' },
  },
  details: `Exactly one of --tls-ca-file, --tls-fingerprint, --tls-insecure. Each kind takes the flags that name it.
${PASSWORD_HELP}`,
  async run(context, args) {
    const [id] = positionalArgs(args, this, 2) as [string];
    const { appliance, credentials } = await applianceFromFlags(id, args);
    const broker = await context.broker();
    const existing = await findAppliance(broker, id);
    if (existing && !flag(args.values, 'replace')) {
      throw new CliError(`appliance "${id}" already exists; pass --replace to update it, or remove it first`);
    }
    const secret = await readCredentialSecret(context, appliance, credentials);
    await putAppliance(broker, appliance, { ...credentials, ...secret });
    context.out(
      `${existing ? 'updated' : 'added'} appliance ${id} (${describeAppliance(appliance)}, TLS ${tlsLabel(appliance.tls)})`,
    );
    if (existing) context.err(`running broker processes use the change ${RECORD_PICKUP}`);
    context.err(`check it with: appliances test ${id}`);
    return 0;
  },
};

const setPassword: CliCommand = {
  name: 'appliances set-password',
  summary: 'replace the stored credentials of an appliance (password rotation)',
  args: ['<id>'],
  target: true,
  options: {
    username: {
      type: 'string',
      value: '<user>',
      description: 'a new user name (default: keep the stored one)',
    },
  },
  details: PASSWORD_HELP,
  async run(context, args) {
    const [id] = positionalArgs(args, this, 2) as [string];
    idSchema.parse(id);
    const broker = await context.broker();
    const appliance = await broker.registry.get(id);
    const stored = await storedCredentials(broker, appliance);
    const username = str(args.values, 'username') ?? stored?.username;
    const [secretField = 'password'] = providerOf(appliance.kind).secretFields;
    if (secretField === 'password' && !username) {
      throw new UsageError(`--username is required: appliance ${id} has no stored user name`);
    }
    const secret = await readSecret(
      context.io,
      `New ${secretField}${username ? ` for ${username}` : ''} on ${appliance.baseUrl}: `,
    );
    await putAppliance(broker, appliance, {
      ...stored,
      ...(username === undefined ? {} : { username }),
      [secretField]: secret,
    });
    context.out(`stored new credentials for appliance ${id}; broker logins use them ${SECRET_PICKUP}`);
    return 0;
  },
};

const list: CliCommand = {
  name: 'appliances list',
  summary: 'list registered appliances',
  target: true,
  options: JSON_OPTION,
  async run(context, args) {
    positionalArgs(args, this, 2);
    printRows(context, await (await context.broker()).registry.list(), {
      json: flag(args.values, 'json'),
      empty: 'no appliances registered',
      // A source without a platform (every kind but dsview) shows its kind there.
      header: ['ID', 'PLATFORM', 'FIRMWARE', 'BASE URL', 'TLS', 'NAME'],
      row: (a) => {
        const record = a as Record<string, unknown>;
        const platform = typeof record.platform === 'string' ? record.platform : a.kind;
        const firmware = typeof record.firmwareVersion === 'string' ? record.firmwareVersion : '-';
        return [a.id, platform, firmware, a.baseUrl, tlsLabel(a.tls), a.name];
      },
    });
    return 0;
  },
};

const remove: CliCommand = {
  name: 'appliances remove',
  summary: 'remove an appliance, its credentials secret, its stored session and its inventory',
  args: ['<id>'],
  target: true,
  options: {},
  async run(context, args) {
    const [id] = positionalArgs(args, this, 2) as [string];
    idSchema.parse(id);
    const broker = await context.broker();
    await broker.registry.get(id);
    const dropped = await removeAppliance(broker, id);
    context.out(`removed appliance ${id} (credentials deleted, ${dropped} inventory devices dropped)`);
    return 0;
  },
};

const test: CliCommand = {
  name: 'appliances test',
  summary: 'log in once and list devices; print latency, device count and the certificate seen',
  args: ['<id>'],
  target: true,
  options: {
    ...JSON_OPTION,
    url: {
      type: 'string',
      value: '<https url>',
      description:
        'instead of <id>: an appliance not added yet; print only the SHA-256 fingerprint it presents',
    },
  },
  details: `Uses the stored credentials and trust rule, exactly as the broker would. The certificate fingerprint
is printed even when the trust check fails, so it can be compared and pinned with --tls-fingerprint.
Before adding an appliance: FP=$(npm run -s cli -- appliances test --url https://10.0.0.5) prints the fingerprint alone.`,
  async run(context, args) {
    const url = str(args.values, 'url');
    if (url !== undefined) return printFingerprint(context, args, url, this);
    const [id] = positionalArgs(args, this, 2) as [string];
    idSchema.parse(id);
    const json = flag(args.values, 'json');
    const broker = await context.broker();
    const appliance = await broker.registry.get(id);
    const report: Record<string, unknown> = { applianceId: id, baseUrl: appliance.baseUrl };
    const line = (label: string, text: string) => {
      if (!json) context.out(`${label.padEnd(12)}${text}`);
    };
    line('appliance', `${id} (${describeAppliance(appliance)})`);

    const probe = await probeCertificate(appliance.baseUrl, broker.settings.APPLIANCE_CONNECT_TIMEOUT_MS);
    if ('error' in probe) {
      report.certificate = { error: probe.error };
      line('certificate', `not seen (${probe.error})`);
    } else {
      const trust = trustVerdict(appliance.tls, probe.fingerprint256);
      report.certificate = { ...probe, trust };
      line('certificate', probe.fingerprint256);
      line('', `subject ${probe.subject}, valid until ${probe.validTo}; ${trust}`);
    }

    const credentials = await broker.registry.credentials(appliance, { forceFetch: true });
    const transport = new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls, {
      connectTimeoutMs: broker.settings.APPLIANCE_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: broker.settings.APPLIANCE_REQUEST_TIMEOUT_MS,
    });
    const client = providerOf(appliance.kind).client(appliance, transport);
    const started = performance.now();
    try {
      const session = await client.login(credentials);
      const loggedIn = performance.now();
      report.login = { ok: true, username: session.principal, ms: Math.round(loggedIn - started) };
      line('login', `ok as ${session.principal} in ${Math.round(loggedIn - started)} ms`);
      const { devices, complete } = await client.listDevices(session);
      if (!complete) report.complete = false;
      const listed = performance.now();
      report.devices = { count: devices.length, ms: Math.round(listed - loggedIn) };
      report.totalMs = Math.round(listed - started);
      line(
        'devices',
        `${devices.length}${complete ? '' : ' (listing incomplete)'} in ${Math.round(listed - loggedIn)} ms`,
      );
      line('total', `${Math.round(listed - started)} ms`);
      if (json) context.out(JSON.stringify({ ok: true, ...report }, null, 2));
      return 0;
    } catch (error) {
      if (json) {
        report.error = error instanceof Error ? error.message : String(error);
        context.out(JSON.stringify({ ok: false, ...report }, null, 2));
      }
      throw error;
    } finally {
      await client.close().catch(() => undefined);
    }
  },
};

export const applianceCommands: CliCommand[] = [add, list, test, setPassword, remove];

/** The appliance record and non-secret credentials the flags describe, validated by the kind's schemas. */
async function applianceFromFlags(
  id: string,
  args: ParsedArgs,
): Promise<{ appliance: Appliance; credentials: Record<string, unknown> }> {
  const { values } = args;
  const kind = str(values, 'kind') ?? 'dsview';
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--kind: must be one of ${KINDS.join(', ')}`);
  }
  const provider = providerOf(kind);
  const name = required(values, 'name', 'a display name');
  const baseUrl = required(values, 'base-url', 'https://host[:port]').replace(/\/$/, '');
  const { record, credentials } = fieldsFromFlags(provider, values);
  if (typeof record.platform === 'string') record.platform = record.platform.toUpperCase();
  const chosen = ['tls-ca-file', 'tls-fingerprint', 'tls-insecure'].filter(
    (name) => values[name] !== undefined,
  );
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length
        ? `choose one of ${chosen.map((name) => `--${name}`).join(', ')}, not several`
        : 'one of --tls-ca-file, --tls-fingerprint or --tls-insecure is required (how to trust the appliance certificate)',
    );
  }
  let tls: unknown;
  const caFile = str(values, 'tls-ca-file');
  const fingerprint = str(values, 'tls-fingerprint');
  if (caFile !== undefined) {
    try {
      tls = { caPem: await readFile(caFile, 'utf8') };
    } catch (error) {
      throw new UsageError(
        `--tls-ca-file: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else if (fingerprint !== undefined) {
    const normalized = normalizeFingerprint(fingerprint);
    tls = { fingerprint256: normalized.length === 95 ? normalized : fingerprint };
  } else {
    tls = { insecure: true };
  }
  // A schema failure becomes a usage error naming the flag (see `zodMessage` in cli.ts).
  const appliance = applianceSchema.parse({ id, name, kind, baseUrl, ...record, tls: tlsSchema.parse(tls) });
  return { appliance, credentials };
}

/** Reads the kind's secret (from stdin or a prompt) for the credentials being stored. */
async function readCredentialSecret(
  context: { io: Parameters<typeof readSecret>[0] },
  appliance: Appliance,
  credentials: Record<string, unknown>,
): Promise<Record<string, string>> {
  const [field] = providerOf(appliance.kind).secretFields;
  if (!field) return {};
  const who = typeof credentials.username === 'string' ? ` for ${credentials.username}` : '';
  const label = field === 'password' ? 'Password' : field;
  return { [field]: await readSecret(context.io, `${label}${who} on ${appliance.baseUrl}: `) };
}

/** One phrase for an appliance in CLI output: its kind's details and address. */
function describeAppliance(appliance: Appliance): string {
  return `${kindDetails(appliance) || appliance.kind} at ${appliance.baseUrl}`;
}

/** The kind's own short facts (DSView: platform and firmware). */
function kindDetails(appliance: Appliance): string {
  const record = appliance as Record<string, unknown>;
  return [record.platform, record.firmwareVersion].filter((v) => typeof v === 'string').join(' ');
}

async function findAppliance(broker: Broker, id: string): Promise<Appliance | undefined> {
  try {
    return await broker.registry.get(id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** The stored credentials, or undefined when the appliance has none (other failures surface). */
async function storedCredentials(
  broker: Broker,
  appliance: Appliance,
): Promise<Record<string, string> | undefined> {
  try {
    return await broker.registry.credentials(appliance, { forceFetch: true });
  } catch (error) {
    if (error instanceof ApplianceCredentialsMissingError) return undefined;
    throw error;
  }
}

/** Fails naming `option` when any of `ids` is not a registered appliance. */
export async function requireRegistered(broker: Broker, ids: string[], option: string): Promise<void> {
  const registered = new Set((await broker.registry.list()).map((a) => a.id));
  const unknown = ids.filter((id) => !registered.has(id));
  if (unknown.length) {
    throw new CliError(`${option}: no appliance ${unknown.join(', ')} is registered (see appliances list)`);
  }
}

function tlsLabel(tls: TlsTrust): string {
  if ('caPem' in tls) return 'ca';
  if ('fingerprint256' in tls) return `pin ${tls.fingerprint256.slice(0, 11)}…`;
  return 'INSECURE';
}

function trustVerdict(tls: TlsTrust, seen: string): string {
  if ('fingerprint256' in tls) {
    return normalizeFingerprint(tls.fingerprint256) === seen
      ? 'matches the pinned fingerprint'
      : 'does NOT match the pinned fingerprint';
  }
  if ('caPem' in tls) return 'checked against the stored CA by the login below';
  return 'not verified (tls insecure)';
}

/** `appliances test --url`: the certificate an appliance presents before it is added, to pin with --tls-fingerprint. */
async function printFingerprint(
  context: CliContext,
  args: ParsedArgs,
  url: string,
  command: CliCommand,
): Promise<number> {
  positionalArgs(args, { ...command, args: [] }, 2);
  if (!url.startsWith('https://') || !URL.canParse(url))
    throw new UsageError('--url: must be an https:// URL');
  const probe = await probeCertificate(url, SETTING_DEFAULTS.APPLIANCE_CONNECT_TIMEOUT_MS);
  if ('error' in probe) throw new CliError(`no certificate from ${url}: ${probe.error}`);
  if (flag(args.values, 'json')) {
    context.out(JSON.stringify({ baseUrl: url, certificate: probe }, null, 2));
  } else {
    context.out(probe.fingerprint256);
    context.err(
      `subject ${probe.subject}, valid until ${probe.validTo}; compare it with the appliance's own, then`,
    );
    context.err(`appliances add <id> --base-url ${url} … --tls-fingerprint ${probe.fingerprint256}`);
  }
  return 0;
}

interface CertificateSeen {
  fingerprint256: string;
  subject: string;
  validTo: string;
}

/** Opens one TLS connection without trusting it, only to read the certificate the appliance presents. */
function probeCertificate(baseUrl: string, timeoutMs: number): Promise<CertificateSeen | { error: string }> {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const done = (result: CertificateSeen | { error: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      if (!cert?.fingerprint256) return done({ error: 'no certificate presented' });
      const subject = Object.entries(cert.subject ?? {})
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ');
      done({ fingerprint256: cert.fingerprint256, subject: subject || '(empty)', validTo: cert.valid_to });
    });
    socket.once('timeout', () => done({ error: `no TLS handshake within ${timeoutMs} ms` }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
  });
}
