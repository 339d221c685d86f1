import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
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
} from '../simulators/dsview/simulator.js';
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
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string | undefined;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields freely
  json: any;
}

/** Trusts anything: used only to open the simulator's viewer page in tests. */
export const trustingAgent = new Agent({ connect: { rejectUnauthorized: false } });

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
    appliances: [
      {
        id: 'lab',
        name: 'Lab MP1000',
        baseUrl: sim.url,
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        credentials: { username: sim.username, password: sim.password },
        tls: { caPem: sim.certPem },
      },
      ...(options.extraAppliances ?? []),
    ],
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
      const text = await response.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) flat[name] = String(value);
      return { status: response.statusCode, headers: flat, text, json };
    },
    async close() {
      restore();
      await dispatcher.close();
      await server.close();
      await broker.close();
      await sim.close();
    },
  };
}

/** Copies everything written to stdout/stderr into `sink` (the Powertools logger writes there). */
export function captureOutput(sink: string[]): () => void {
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
