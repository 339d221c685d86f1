import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLE_KEYS } from '../../shared/store/table-schema.js';

export interface DynamoDbLocalOptions {
  /** Persist tables here (created if missing); omitted means an in-memory engine. */
  dataDir?: string;
  /** Fixed port; omitted means a free loopback port is picked. */
  port?: number;
  /** Java executable; overridable so the "Java missing" path can be exercised. */
  javaCommand?: string;
  /** How long to wait for the engine to answer ListTables; JVM start alone takes 2-5 s on a busy 2-core box. */
  startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Settles when the engine's process ends, whether `stop` ended it or it died. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 16 * 1024;
/** The launcher that binds DynamoDB Local to loopback and ties its life to ours (see the file's comment). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));
const KILL_GRACE_MS = 3_000;
const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer on PATH, but `java` was not found. ' +
  'Install it with `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu) ' +
  'or `brew install openjdk@17` (macOS), then retry.';

/** Starts a DynamoDB Local engine on 127.0.0.1 and resolves once it answers a real SDK call. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  // Absolute, so the engine reads the same directory whatever working directory Java is given.
  const opts = options.dataDir === undefined ? options : { ...options, dataDir: resolve(options.dataDir) };
  if (opts.dataDir !== undefined) await mkdir(opts.dataDir, { recursive: true });
  // A picked port can be stolen between close() and the JVM binding it, so retry with a fresh one.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = opts.port ?? (await findFreePort());
    try {
      return await launch(port, opts, 'loopback');
    } catch (error) {
      if (error instanceof NoJavaCompilerError) {
        process.stderr.write(
          'warning: DynamoDB Local listens on all interfaces: this Java has no jdk.compiler module to run ' +
            'the loopback launcher (a JDK, or Debian/Ubuntu openjdk-17-jre-headless, has it)\n',
        );
        return launch(port, opts, 'all-interfaces');
      }
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}
/** A Java runtime without the compiler module cannot run the source-file launcher. */
class NoJavaCompilerError extends Error {}

async function launch(
  port: number,
  opts: DynamoDbLocalOptions,
  bind: 'loopback' | 'all-interfaces',
): Promise<DynamoDbLocal> {
  const emulatorDir = resolveEmulatorDir();
  const jar = join(emulatorDir, 'DynamoDBLocal.jar');
  const args = [
    `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
    ...(bind === 'loopback' ? ['-cp', jar, LOOPBACK_LAUNCHER] : ['-jar', jar]),
    '-port',
    String(port),
    '-disableTelemetry',
    // Without -sharedDb the engine keys data by access key + region, so clients with different dummies diverge.
    '-sharedDb',
    ...(opts.dataDir === undefined ? ['-inMemory'] : ['-dbPath', opts.dataDir]),
  ];
  const child = spawn(opts.javaCommand ?? 'java', args, {
    cwd: tmpdir(),
    // stdin stays open for the launcher's watchdog: it closes when this process goes, however it goes.
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  // The engine reports its own start failures (bad directory, port taken) on stdout, the JVM on stderr.
  let outputTail = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      outputTail = (outputTail + chunk).slice(-OUTPUT_LIMIT);
    });
  }
  child.stdin?.on('error', () => undefined);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' rather than 'exit': it fires only after the output is drained, so the tail below is complete.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const spawnFailed = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ENOENT' ? new Error(JAVA_MISSING_MESSAGE, { cause: error }) : error);
    });
  });

  // The JVM would otherwise outlive a test runner or dev server that exits without calling stop().
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const earlyFailure = Promise.race([
    spawnFailed,
    exited.then(({ code, signal }) => {
      const tail = outputTail.trim();
      const message = `DynamoDB Local exited before it was ready (code ${code}, signal ${signal})`;
      const full = tail ? `${message}. Its output ended with:\n${tail}` : `${message} and printed nothing`;
      if (/Module jdk\.compiler not/.test(tail)) return new NoJavaCompilerError(full);
      return /BindException|Address already in use/i.test(tail) ? new PortInUseError(full) : new Error(full);
    }),
  ]);

  try {
    await waitUntilReady(endpoint, opts.startTimeoutMs ?? 60_000, earlyFailure);
  } catch (error) {
    process.off('exit', killOnExit);
    await terminate(child, exited);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    exited,
    stop() {
      stopping ??= terminate(child, exited).finally(() => process.off('exit', killOnExit));
      return stopping;
    },
  };
}

function resolveEmulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('could not pick a port')) : resolve(port)));
    });
  });
}

async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  earlyFailure: Promise<Error>,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let failure: Error | undefined;
  void earlyFailure.then((error) => {
    failure = error;
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (failure) throw failure;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // Connection refused until Jetty is listening; keep polling.
      }
      if (failure) throw failure;
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer ListTables at ${endpoint} within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

async function terminate(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the broker table (idempotently) with TTL on, so every local run and test starts from the real schema. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForActive(client, tableName);
  await enableTtl(client, tableName);
}

async function waitForActive(client: DynamoDBClient, tableName: string, timeoutMs = 10_000): Promise<void> {
  // The SDK waiter backs off 20 s between polls; local tables are usually ACTIVE at once, so poll tightly.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if (
    (status === 'ENABLED' || status === 'ENABLING') &&
    TimeToLiveDescription?.AttributeName === TABLE_KEYS.ttl
  ) {
    return;
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      }),
    );
  } catch (error) {
    // Two callers racing on the same table both see DISABLED; the loser gets this ValidationException.
    if (!(error instanceof Error && /already enabled/i.test(error.message))) throw error;
  }
}
