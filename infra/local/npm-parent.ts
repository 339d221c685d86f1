import { execFileSync } from 'node:child_process';

const MAX_DEPTH = 4;

/**
 * The pid of the `npm` process this one runs under (`npm start` → sh → [tsx →] node), if any. `kill <npm pid>`
 * stops npm and its shell but nothing below them, so the broker watches npm itself.
 */
export function findNpmAncestor(): number | undefined {
  if (!process.env.npm_lifecycle_event) return undefined;
  let pid = process.ppid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
    const row = psRow(pid);
    if (!row) return undefined;
    if (/^npm(\s|$)|[/\\]npm-cli\.js\b/.test(row.args)) return pid;
    pid = row.ppid;
  }
  return undefined;
}

/** Calls `onGone` once `pid` no longer exists; checked every `intervalMs`, never keeping the process alive. */
export function whenProcessGone(pid: number, onGone: () => void, intervalMs = 500): () => void {
  const timer = setInterval(() => {
    if (alive(pid)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (a recycled pid); treat as gone would be wrong.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function psRow(pid: number): { ppid: number; args: string } | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(out);
    return match ? { ppid: Number(match[1]), args: match[2] ?? '' } : undefined;
  } catch {
    return undefined;
  }
}
