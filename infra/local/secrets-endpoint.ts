import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { LOCAL_AWS } from './aws-env.js';

export interface SecretsEndpointOptions {
  port?: number;
  /** JSON file the secrets are loaded from at start and saved to after each change, so they survive restarts. */
  dataFile?: string;
  /** Region used in ARNs when the request's SigV4 credential scope does not name one. */
  region?: string;
  /**
   * The only access key id answered (default: the local runtime's). Requests signed with another key are
   * refused as an unknown client, so other local programs and their AWS profiles see no secret.
   */
  accessKeyId?: string;
}

export interface SecretsEndpointStats {
  /** Requests per Secrets Manager operation, e.g. `calls.GetSecretValue`. */
  calls: Record<string, number>;
  /** GetSecretValue requests per secret name, so parallel test files can assert on their own secret only. */
  secretValueReads: Record<string, number>;
}

export interface SecretsEndpoint {
  endpoint: string;
  stats: SecretsEndpointStats;
  stop(): Promise<void>;
}

/** Path answering GET with the stats as JSON, for test workers that run in a different process. */
export const SECRETS_STATS_PATH = '/_local/stats';

interface SecretVersion {
  versionId: string;
  secretString?: string;
  /** Base64, exactly as the JSON protocol carries blobs. */
  secretBinary?: string;
  createdDate: number;
  stages: string[];
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  deletedDate?: number;
  versions: SecretVersion[];
}

interface PersistedFile {
  version: 1;
  secrets: StoredSecret[];
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

type Input = Record<string, unknown>;
type Handler = (input: Input, ctx: { region: string }) => Record<string, unknown>;

/** Starts a Secrets Manager look-alike on 127.0.0.1 that the stock SDK client can talk to via its endpoint setting. */
export async function startSecretsEndpoint(opts: SecretsEndpointOptions = {}): Promise<SecretsEndpoint> {
  const secrets = new Map<string, StoredSecret>();
  if (opts.dataFile !== undefined && existsSync(opts.dataFile)) {
    const parsed = JSON.parse(readFileSync(opts.dataFile, 'utf8')) as PersistedFile;
    for (const secret of parsed.secrets) secrets.set(secret.name, secret);
  }
  const stats: SecretsEndpointStats = { calls: {}, secretValueReads: {} };
  const accessKeyId = opts.accessKeyId ?? LOCAL_AWS.credentials.accessKeyId;
  /** The port actually bound, known once listening; the Host check compares against it. */
  let port = 0;

  const persist = () => {
    if (opts.dataFile === undefined) return;
    const file: PersistedFile = { version: 1, secrets: [...secrets.values()] };
    mkdirSync(dirname(opts.dataFile), { recursive: true, mode: 0o700 });
    // Write-then-rename so a crash mid-write never leaves a truncated file that would fail to load.
    const tmp = `${opts.dataFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(tmp, opts.dataFile);
  };

  const find = (secretId: unknown): StoredSecret => {
    if (typeof secretId !== 'string' || secretId === '') {
      throw new ApiError('InvalidParameterException', 'SecretId is required.');
    }
    const byName = secrets.get(secretId);
    if (byName) return byName;
    for (const secret of secrets.values()) if (secret.arn === secretId) return secret;
    throw new ApiError('ResourceNotFoundException', NOT_FOUND);
  };
  const findLive = (secretId: unknown): StoredSecret => {
    const secret = find(secretId);
    if (secret.deletedDate !== undefined) {
      throw new ApiError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  };

  const addVersion = (secret: StoredSecret, input: Input, now: number): SecretVersion => {
    const value = secretValue(input);
    const versionId =
      typeof input['ClientRequestToken'] === 'string' ? input['ClientRequestToken'] : randomUUID();
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      // The SDK auto-fills ClientRequestToken, so a retried request must be idempotent rather than an error.
      if (existing.secretString === value.secretString && existing.secretBinary === value.secretBinary) {
        return existing;
      }
      throw new ApiError('ResourceExistsException', 'A version with this ClientRequestToken already exists.');
    }
    for (const v of secret.versions) {
      v.stages = v.stages.includes(CURRENT) ? [PREVIOUS] : v.stages.filter((s) => s !== PREVIOUS);
    }
    const version: SecretVersion = { versionId, ...value, createdDate: now, stages: [CURRENT] };
    // Only AWSCURRENT and AWSPREVIOUS matter locally; older unlabelled versions are dropped.
    secret.versions = [...secret.versions.filter((v) => v.stages.length > 0), version];
    secret.lastChangedDate = now;
    return version;
  };

  const describe = (secret: StoredSecret) => ({
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined && { Description: secret.description }),
    CreatedDate: secret.createdDate,
    LastChangedDate: secret.lastChangedDate,
    ...(secret.lastAccessedDate !== undefined && { LastAccessedDate: secret.lastAccessedDate }),
    ...(secret.deletedDate !== undefined && { DeletedDate: secret.deletedDate }),
    VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.versionId, v.stages])),
  });

  const handlers: Record<string, Handler> = {
    CreateSecret(input, { region }) {
      const name = input['Name'];
      if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
        throw new ApiError('InvalidParameterException', 'Name is missing or contains invalid characters.');
      }
      const existing = secrets.get(name);
      if (existing?.deletedDate !== undefined) {
        throw new ApiError(
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      if (existing) throw new ApiError('ResourceExistsException', `The secret ${name} already exists.`);
      const now = epochSeconds();
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const secret: StoredSecret = {
        name,
        arn: `arn:aws:secretsmanager:${region}:000000000000:secret:${name}-${suffix}`,
        ...(typeof input['Description'] === 'string' && { description: input['Description'] }),
        createdDate: now,
        lastChangedDate: now,
        versions: [],
      };
      const hasValue = input['SecretString'] !== undefined || input['SecretBinary'] !== undefined;
      const version = hasValue ? addVersion(secret, input, now) : undefined;
      secrets.set(name, secret);
      persist();
      return { ARN: secret.arn, Name: secret.name, ...(version && { VersionId: version.versionId }) };
    },

    GetSecretValue(input) {
      const secret = findLive(input['SecretId']);
      const wantedId = input['VersionId'];
      const wantedStage = typeof input['VersionStage'] === 'string' ? input['VersionStage'] : CURRENT;
      const version =
        typeof wantedId === 'string'
          ? secret.versions.find((v) => v.versionId === wantedId)
          : secret.versions.find((v) => v.stages.includes(wantedStage));
      if (!version) {
        throw new ApiError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for the requested version or staging label.",
        );
      }
      stats.secretValueReads[secret.name] = (stats.secretValueReads[secret.name] ?? 0) + 1;
      secret.lastAccessedDate = epochSeconds();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        ...(version.secretString !== undefined && { SecretString: version.secretString }),
        ...(version.secretBinary !== undefined && { SecretBinary: version.secretBinary }),
        VersionStages: version.stages,
        CreatedDate: version.createdDate,
      };
    },

    PutSecretValue(input) {
      const secret = findLive(input['SecretId']);
      const version = addVersion(secret, input, epochSeconds());
      persist();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: version.stages,
      };
    },

    DeleteSecret(input) {
      const secret = find(input['SecretId']);
      const now = epochSeconds();
      if (input['ForceDeleteWithoutRecovery'] === true) {
        secrets.delete(secret.name);
        persist();
        return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
      }
      const days = typeof input['RecoveryWindowInDays'] === 'number' ? input['RecoveryWindowInDays'] : 30;
      // Like AWS, a soft-deleted secret keeps its name reserved; nothing purges it locally, force-delete instead.
      secret.deletedDate ??= now;
      persist();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate + days * 86_400 };
    },

    DescribeSecret(input) {
      return describe(find(input['SecretId']));
    },

    ListSecrets(input) {
      const includeDeleted = input['IncludePlannedDeletion'] === true;
      const list = [...secrets.values()]
        .filter((s) => includeDeleted || s.deletedDate === undefined)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(describe);
      return { SecretList: list };
    },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendError(res, new ApiError('InternalServiceError', 'Internal error.', 500));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = browserRefusal(req, port);
    if (refusal) {
      // No Access-Control-Allow-* header ever: a web page's preflight fails and its request never leaves.
      sendError(res, new ApiError('AccessDeniedException', refusal, 403));
      return;
    }
    if (req.method === 'GET' && req.url === SECRETS_STATS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      sendError(res, error instanceof ApiError ? error : new ApiError('SerializationException', 'Bad body.'));
      return;
    }
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
      sendError(res, new ApiError('UnknownOperationException', 'Only POST / is supported.', 404));
      return;
    }
    const authorization = req.headers.authorization;
    if (!authorization) {
      sendError(
        res,
        new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
      );
      return;
    }
    if (accessKeyFrom(authorization) !== accessKeyId) {
      sendError(
        res,
        new ApiError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
          403,
        ),
      );
      return;
    }
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' && target.startsWith('secretsmanager.') ? target.slice(15) : '';
    const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
    if (!handler) {
      sendError(res, new ApiError('UnknownOperationException', `Unknown operation ${String(target)}`));
      return;
    }
    let input: unknown;
    try {
      input = body === '' ? {} : JSON.parse(body);
    } catch {
      sendError(res, new ApiError('SerializationException', 'Request body is not valid JSON.'));
      return;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      sendError(res, new ApiError('SerializationException', 'Request body must be a JSON object.'));
      return;
    }
    stats.calls[op] = (stats.calls[op] ?? 0) + 1;
    try {
      const output = handler(input as Input, {
        region: regionFrom(authorization) ?? opts.region ?? 'us-east-1',
      });
      send(res, 200, output);
    } catch (error) {
      if (error instanceof ApiError) sendError(res, error);
      else throw error;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('secrets endpoint has no address');
  port = address.port;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stats,
    stop() {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep sockets alive; without this close() would wait for them to idle out.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function secretValue(input: Input): { secretString?: string; secretBinary?: string } {
  const secretString = input['SecretString'];
  const secretBinary = input['SecretBinary'];
  if (typeof secretString === 'string' && secretBinary === undefined) return { secretString };
  if (typeof secretBinary === 'string' && secretString === undefined) return { secretBinary };
  throw new ApiError('InvalidParameterException', 'Exactly one of SecretString or SecretBinary must be set.');
}

function epochSeconds(): number {
  return Date.now() / 1000;
}

/**
 * Why a request that a web page may have sent is refused, or undefined. Browsers send `Origin` with every
 * cross-origin request and preflight; the SDK never does. A `Host` other than loopback is a DNS-rebinding page
 * that resolved its own name to 127.0.0.1.
 */
function browserRefusal(req: IncomingMessage, port: number): string | undefined {
  if (req.headers.origin !== undefined || req.method === 'OPTIONS')
    return 'Cross-origin requests are not allowed.';
  const host = req.headers.host;
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return 'Unexpected Host header.';
  return undefined;
}

/** Pulls the access key id out of `Credential=AKID/20240101/us-east-1/secretsmanager/aws4_request`. */
function accessKeyFrom(authorization: string): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}

/** Pulls the region out of `Credential=AKID/20240101/us-east-1/secretsmanager/aws4_request`. */
function regionFrom(authorization: string): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization)?.[1];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError('InvalidRequestException', 'Request body too large.', 413);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: ApiError): void {
  res.setHeader('x-amzn-errortype', error.type);
  send(res, error.status, { __type: error.type, message: error.message });
}
