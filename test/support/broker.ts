import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';
import { expect } from 'vitest';
import { PROBLEM_BASE } from '../../functions/lib/problem.js';
import { routeList } from '../../functions/routes.js';
import { handlers } from '../../infra/local/handlers.js';
import { ensureKeys } from '../../infra/local/runtime.js';
import { LocalServer } from '../../infra/local/server.js';
import { type Broker, createBroker, getBroker, useBroker } from '../../shared/broker.js';
import type { Clock } from '../../shared/clock.js';
import { applyConfig } from '../../shared/config/apply.js';
import type { ConfigFile } from '../../shared/config/file.js';
import {
  type DsviewSimulator,
  type SimulatorOptions,
  startDsviewSimulator,
} from '../../simulators/dsview/simulator.js';
import { type LocalAws, useLocalAws } from './aws.js';

/** API keys of the clients every test broker has. */
export interface TestKeys {
  /** Every scope, every appliance. */
  admin: string;
  /** devices:read only. */
  reader: string;
  /** Every non-admin scope, but only appliance `other`. */
  outsider: string;
  /** tickets:create and links:create on `lab`. */
  operator: string;
}

export interface TestBroker {
  url: string;
  broker: Broker;
  sim: DsviewSimulator;
  aws: LocalAws;
  keys: TestKeys;
  keysSecretId: string;
  applianceSecretPrefix: string;
  /** Every line the process wrote to stdout/stderr since start (the broker's logs). */
  output: string[];
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /**
   * A request whose path goes out byte for byte (node:http): no client-side `..`/`.` resolution or
   * re-encoding, unlike `call` (undici parses the URL first). The server still resolves what it receives.
   */
  rawCall(method: string, path: string, options?: RawCallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string | undefined;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface RawCallOptions {
  key?: string | undefined;
  headers?: Record<string, string>;
  /** Sent as is (no JSON encoding, no content type added). */
  body?: string | Buffer;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields freely
  json: any;
}

/** Trusts anything: used only to open the simulator's viewer page in tests. */
const trustingAgent = new Agent({ connect: { rejectUnauthorized: false } });

/** Opens a launch URL on the simulator and answers its status (200 = the viewer opened). */
export async function openViewer(url: string): Promise<number> {
  const response = await request(url, { dispatcher: trustingAgent });
  await response.body.text();
  return response.statusCode;
}

const key = (name: string) => `test-${name}-${randomBytes(24).toString('base64url')}`;

/**
 * An in-process broker: the real handlers behind the local HTTP server, on the shared DynamoDB Local and
 * secrets endpoint, with a private table and secret names, and one HTTPS simulator registered as `lab`.
 */
export async function startTestBroker(
  options: {
    simulator?: SimulatorOptions;
    env?: Record<string, string>;
    extraAppliances?: ConfigFile['appliances'];
    /** The broker's clock (link expiry, session expiry); the wall clock by default. */
    clock?: Clock;
    /** A private DynamoDB engine (tests that stop it); the shared one by default. */
    dynamodbEndpoint?: string;
  } = {},
): Promise<TestBroker> {
  const output: string[] = [];
  const restore = captureOutput(output);
  const aws = await useLocalAws(
    options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {},
  );
  const run = randomBytes(6).toString('hex');
  const keysSecretId = `test/${run}/keys`;
  const applianceSecretPrefix = `test/${run}/appliances/`;
  Object.assign(
    process.env,
    { KEYS_SECRET_ID: keysSecretId, APPLIANCE_SECRET_PREFIX: applianceSecretPrefix },
    options.env,
  );
  await ensureKeys(keysSecretId);
  const sim = await startDsviewSimulator(options.simulator ?? {});
  const server = new LocalServer({ host: '127.0.0.1', port: 0, routes: routeList, handlers });
  const url = await server.listen();
  process.env.PUBLIC_BASE_URL = url;
  if (options.clock) useBroker(createBroker({ clock: options.clock }));
  const broker = await getBroker();
  const keys: TestKeys = {
    admin: key('admin'),
    reader: key('reader'),
    outsider: key('outsider'),
    operator: key('operator'),
  };
  await applyConfig(broker, {
    appliances: [labAppliance(sim), ...(options.extraAppliances ?? [])],
    clients: [
      { id: 'admin', apiKey: keys.admin, scopes: ['admin'], appliances: ['*'] },
      { id: 'reader', apiKey: keys.reader, scopes: ['devices:read'], appliances: ['*'] },
      {
        id: 'outsider',
        apiKey: keys.outsider,
        scopes: ['devices:read', 'tickets:create', 'links:create'],
        appliances: ['other'],
      },
      {
        id: 'operator',
        apiKey: keys.operator,
        scopes: ['tickets:create', 'links:create'],
        appliances: ['lab'],
      },
    ],
  });
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const rawAgent = new HttpAgent({ keepAlive: true });
  return {
    url,
    broker,
    sim,
    aws,
    keys,
    keysSecretId,
    applianceSecretPrefix,
    output,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.key) headers.authorization = `Bearer ${callOptions.key}`;
      let body: string | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await request(`${url}${path}`, {
        method: method as 'GET',
        headers,
        dispatcher,
        ...(body === undefined ? {} : { body }),
      });
      return toCallResult(response.statusCode, response.headers, await response.body.text());
    },
    rawCall(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.key) headers.authorization = `Bearer ${callOptions.key}`;
      const { hostname, port } = new URL(url);
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, method, path, headers, agent: rawAgent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve(toCallResult(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))),
          );
        });
        req.on('error', reject);
        req.end(callOptions.body);
      });
    },
    async close() {
      restore();
      await dispatcher.close();
      rawAgent.destroy();
      await server.close();
      await broker.close();
      await sim.close();
    },
  };
}

/** Copies everything written to stdout/stderr into `sink` (the Powertools logger writes there). */
function captureOutput(sink: string[]): () => void {
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const tap =
    (original: typeof stdout) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tap(stdout) as typeof process.stdout.write;
  process.stderr.write = tap(stderr) as typeof process.stderr.write;
  return () => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  };
}

/** A response as the tests read it: headers flattened to strings, the body as text and, if it parses, as JSON. */
function toCallResult(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
): CallResult {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = String(value);
  return { status, headers: flat, text, json };
}

/* ----------------------------------------------------------------------------------------------------------
 * Helpers the broker tests share
 * ------------------------------------------------------------------------------------------------------- */

/** What the helpers below need of a broker: `call` may be wrapped (to record every response, say). */
export type BrokerCaller = Pick<TestBroker, 'call' | 'keys' | 'sim'>;

/** The full problem type URI for a problem name (`device-not-found`). */
export const problemType = (name: string): string => `${PROBLEM_BASE}${name}`;

/** The fields a 400 problem names, in order; none for any other answer. */
export const errorFields = (result: CallResult): string[] =>
  (result.json?.errors ?? []).map((error: { field: string }) => error.field);

/** The "lab" DSView appliance every test broker serves: the config entry that trusts this simulator. */
export function labAppliance(
  sim: Pick<DsviewSimulator, 'url' | 'username' | 'password' | 'certPem'>,
): ConfigFile['appliances'][number] {
  return {
    id: 'lab',
    name: 'Lab MP1000',
    baseUrl: sim.url,
    kind: 'dsview',
    platform: 'MP1000',
    firmwareVersion: '3.33.8',
    credentials: { username: sim.username, password: sim.password },
    tls: { caPem: sim.certPem },
  };
}

/** The id of the simulator's first device of a programmatic type (by default the plain KVM, ADX-IP-IQ). */
export function deviceOfType(sim: Pick<DsviewSimulator, 'devices'>, type = 'ADX-IP-IQ'): string {
  const device = sim.devices.find((d) => d.device_type_programmatic_name === type);
  if (!device) throw new Error(`no ${type} device`);
  return device.id;
}

/** The token of a launch URL (`…/launch/<token>`). */
export function tokenOf(url: string): string {
  const match = /\/launch\/([^/?#]+)$/.exec(url);
  if (!match?.[1]) throw new Error(`not a launch URL: ${url}`);
  return match[1];
}

export interface LinkBody {
  applianceId?: string;
  deviceId?: string;
  viewerType?: string | undefined;
  sharingMode?: string;
  mouseMode?: number;
  ttlSeconds?: number;
  singleUse?: boolean;
  [extra: string]: unknown;
}

/** POST /v1/links for a KVM session on `lab`'s plain KVM device unless `body` says otherwise; answers as is. */
export function createLink(t: BrokerCaller, body: LinkBody = {}, key = t.keys.operator): Promise<CallResult> {
  return t.call('POST', '/v1/links', {
    key,
    body: { applianceId: 'lab', deviceId: deviceOfType(t.sim), viewerType: 'KVM', ...body },
  });
}

export interface NewLink {
  id: string;
  url: string;
  /** The URL's path, `/launch/<token>`, for `t.call`. */
  path: string;
  token: string;
}

/** Creates a link (see `createLink`), expecting a 201, and answers its id, URL, path and token. */
export async function newLink(t: BrokerCaller, body: LinkBody = {}, key = t.keys.operator): Promise<NewLink> {
  const response = await createLink(t, body, key);
  expect(response.status, response.text).toBe(201);
  const url: string = response.json.url;
  return { id: response.json.id as string, url, path: new URL(url).pathname, token: tokenOf(url) };
}

/** POST /v1/appliances/lab/devices/{deviceId}/tickets, for KVM unless `body` says otherwise; answers as is. */
export function mintTicket(
  t: BrokerCaller,
  deviceId: string,
  key = t.keys.operator,
  body: Record<string, unknown> = { viewerType: 'KVM' },
): Promise<CallResult> {
  return t.call('POST', `/v1/appliances/lab/devices/${deviceId}/tickets`, { key, body });
}

/**
 * The wall clock moved forward by whatever the test stepped: give `now` to `startTestBroker`, then `advance`
 * past a link expiry or a login-failure hold instead of sleeping through it (load cannot end a hold early).
 */
export function steppableClock(): { now: Clock; advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}
