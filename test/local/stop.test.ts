import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `kill <pid of npm start>`: npm dies and its shell with it, but nothing signals what runs below them. The broker
 * must notice and stop, and take its Java engine along.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every process below `root`, read from /proc (pid → command line). */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses; the fields after its last `)` are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone between readdir and read.
    }
  }
  const found = new Map<number, string>();
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      try {
        found.set(child, readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        continue;
      }
      queue.push(child);
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(existsSync('/proc/self/stat'))('stopping npm start', () => {
  it('SIGTERM to the npm process stops the broker and its DynamoDB Local', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stderr.resume();
    let below = new Map<number, string>();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('npm start: no ready line in 90 s')), 90_000);
        createInterface({ input: npm.stdout }).on('line', (line) => {
          if (!line.startsWith('ready ')) return;
          clearTimeout(timer);
          resolve();
        });
        npm.once('exit', (code) => reject(new Error(`npm start exited with ${code} before ready`)));
      });
      below = descendants(npm.pid as number);
      const engines = [...below].filter(([, command]) => /DynamoDB/.test(command)).map(([pid]) => pid);
      expect(engines).toHaveLength(1);

      npm.kill('SIGTERM');
      const deadline = Date.now() + 20_000;
      while ([...below.keys()].some(alive) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect([...below].filter(([pid]) => alive(pid)).map(([, command]) => command)).toEqual([]);
    } finally {
      // Whatever the outcome, leave nothing of this test running.
      for (const pid of [npm.pid as number, ...below.keys()]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 150_000);
});
