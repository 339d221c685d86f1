import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { inject } from 'vitest';
import { ensureKeys } from '../../infra/local/runtime.js';
import type { ConfigFile } from '../../shared/config/file.js';
import { useLocalAws } from './aws.js';

/** The repository root, where `infra/local/main.ts` is resolved from whatever the caller's cwd. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What `npm start` runs. */
const MAIN = ['--import', 'tsx', 'infra/local/main.ts'];

function brokerEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', PORT: '0', ...env };
}

export interface BrokerProcess {
  url: string;
  child: ChildProcess;
  /** Every stdout/stderr line so far (the last `keepLines` of them when that option is set). */
  lines: string[];
  /** SIGTERM, then SIGKILL after `killAfterMs` if given; resolves with the exit code (null when killed). */
  stop(killAfterMs?: number): Promise<number | null>;
}

export interface SpawnBrokerOptions {
  /** Open an IPC channel: the broker then answers `stats` with its CPU time and stops when the parent disconnects. */
  ipc?: boolean;
  /** Node flags ahead of the script (e.g. `--cpu-prof`). */
  execArgv?: string[];
  /** How long to wait for the `ready` line; 60 s by default. */
  timeoutMs?: number;
  /** Keep only the last this many output lines (a long-lived broker logs a line per request); all by default. */
  keepLines?: number;
}

/** Spawns `infra/local/main.ts` (what `npm start` runs) and resolves at its `ready` line. */
export async function spawnBroker(
  env: Record<string, string>,
  options: SpawnBrokerOptions = {},
): Promise<BrokerProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const keepLines = options.keepLines ?? Number.POSITIVE_INFINITY;
  const child = spawn(process.execPath, [...(options.execArgv ?? []), ...MAIN], {
    cwd: ROOT,
    env: brokerEnv(env),
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  // Never leave a broker behind when this process ends without stopping it.
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker not ready in ${timeoutMs} ms:\n${lines.join('\n')}`)),
      timeoutMs,
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (lines.length > keepLines) lines.shift();
        const match = /^ready (http:\/\/\S+)$/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before ready:\n${lines.join('\n')}`));
    });
  });
  return {
    url,
    child,
    lines,
    async stop(killAfterMs) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      const timer = killAfterMs === undefined ? undefined : setTimeout(kill, killAfterMs);
      child.kill('SIGTERM');
      const [code] = await exited;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

/** Runs `infra/local/main.ts` expecting it to fail; resolves with its exit code and output. */
export async function runBrokerExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, MAIN, {
    cwd: ROOT,
    env: brokerEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

export interface FleetCallInit {
  method: 'GET' | 'POST';
  body?: string;
}

export interface FleetAnswer {
  status: number;
  location: string | undefined;
  text: string;
}

/** Broker processes started together on one fresh DynamoDB table and one configuration file. */
export interface BrokerFleet {
  processes: BrokerProcess[];
  /** Sends call `i` to process `i % count` with the client's key, so a burst spreads over every process. */
  call(i: number, path: string, init: FleetCallInit): Promise<FleetAnswer>;
  /** Stops every process (SIGKILL after `killAfterMs` if given). */
  stop(killAfterMs?: number): Promise<void>;
}

export interface FleetOptions {
  count: number;
  config: ConfigFile;
  /** Where the configuration file is written. */
  configFile: string;
  /** The client key every `call` carries. */
  apiKey: string;
  spawn?: SpawnBrokerOptions;
}

/**
 * Starts `count` brokers on one new table of the local DynamoDB, with their own key and appliance secrets:
 * what several Lambda instances share, so a cold burst across them shows whether they share one login.
 */
export async function spawnBrokerFleet(options: FleetOptions): Promise<BrokerFleet> {
  const aws = await useLocalAws();
  const run = randomBytes(6).toString('hex');
  const env = {
    BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
    BROKER_TABLE_NAME: aws.tableName,
    KEYS_SECRET_ID: `test/${run}/keys`,
    APPLIANCE_SECRET_PREFIX: `test/${run}/appliances/`,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    BROKER_CONFIG: options.configFile,
  };
  await ensureKeys(env.KEYS_SECRET_ID);
  await writeFile(options.configFile, JSON.stringify(options.config));
  const processes = await Promise.all(
    Array.from({ length: options.count }, () => spawnBroker(env, options.spawn)),
  );
  return {
    processes,
    call: async (i, path, init) => {
      const target = processes[i % processes.length]!;
      const response = await request(`${target.url}${path}`, {
        method: init.method,
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      const text = await response.body.text();
      return { status: response.statusCode, location: response.headers.location as string | undefined, text };
    },
    async stop(killAfterMs) {
      await Promise.all(processes.map((p) => p.stop(killAfterMs)));
    },
  };
}
