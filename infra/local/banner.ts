import type { DemoSourceFacts } from './demo.js';

/** Everything the start banner reports, gathered by `npm start` once the broker answers. */
export interface BannerFacts {
  url: string;
  /** Where the state lives, in words: `in memory`, `in .data`, `in the shared engines at …`. */
  state: string;
  /** Whether the engines are `local engines`' (they keep running when the broker stops) rather than its own. */
  sharedEngines?: boolean;
  mode:
    | { kind: 'demo'; apiKey: string; sources: DemoSourceFacts[]; links: [label: string, url: string][] }
    | { kind: 'config'; file: string; appliances: number; clients: number; removedDemo: string[] }
    | { kind: 'store'; appliances: number; clients: number; removedDemo: string[] };
  /** Routes worth a person's click, as they exist in the route table. */
  docs: { path: string; what: string }[];
}

const RULE = '─'.repeat(78);

/**
 * The one block `npm start` prints when it is ready. The lines `ready <url>`, `demo api key: <key>` and
 * `demo launch link: <url>` are the contract's and stay verbatim at the start of a line: scripts grep them.
 */
export function renderBanner(facts: BannerFacts): string {
  const lines = [RULE, `Console Launch Broker, ${modeTitle(facts.mode.kind)}`, `ready ${facts.url}`];
  const { mode } = facts;
  if (mode.kind === 'demo') {
    lines.push(`demo api key: ${mode.apiKey}`);
    for (const [label, url] of mode.links) lines.push(`${label}: ${url}`);
    lines.push('', 'Open the link in a browser: a simulated viewer shows the device it was opened for.');
    lines.push(...simulatedSources(mode.sources), ...tryIt(facts.url, mode.apiKey, mode.sources));
  } else {
    const what = `${count(mode.appliances, 'appliance')} and ${count(mode.clients, 'API client')}`;
    lines.push(
      mode.kind === 'config'
        ? `configuration: ${mode.file} (${what})`
        : `serving the configuration already stored (${what}); add to it with BROKER_CONFIG=<file> or the CLI`,
    );
    if (mode.removedDemo.length)
      lines.push(`removed what demo mode had added: ${mode.removedDemo.join(', ')}`);
  }
  lines.push('', `State: ${facts.state}.`);
  if (facts.docs.length) {
    lines.push(
      `Interface: ${facts.docs.map(({ path, what }) => `${facts.url}${path} (${what})`).join(', ')}`,
    );
  }
  if (mode.kind === 'demo') {
    lines.push(
      'Leaving demo mode: start with BROKER_CONFIG=<file> (see README, Configuration). Demo state is in memory',
      'only, and demo mode never writes into BROKER_DATA_DIR or shared engines.',
    );
  }
  const stops = facts.sharedEngines
    ? 'the broker; the shared engines keep running'
    : 'the broker and its engines';
  lines.push(`Logs follow on stderr. Ctrl-C or \`kill <pid>\` stops ${stops}.`, RULE);
  return `${lines.join('\n')}\n`;
}

function modeTitle(kind: BannerFacts['mode']['kind']): string {
  if (kind === 'demo') return 'demo mode (simulated appliances, nothing real is reached)';
  if (kind === 'config') return 'serving a configuration file';
  return 'serving the stored configuration';
}

function simulatedSources(sources: DemoSourceFacts[]): string[] {
  if (!sources.length) return [];
  const lines = ['', 'Simulated sources (HTTPS with a self-signed certificate, on this machine only):'];
  // Aligned on the longest kind (`password-safe`), so every URL starts in one column.
  const width = Math.max(...sources.map((source) => source.kind.length));
  for (const source of sources) {
    lines.push(
      `  ${source.kind.padEnd(width)} ${source.url}  ${source.labels?.username ?? 'username'} ${source.username}  ${source.labels?.password ?? 'password'} ${source.password}`,
    );
    lines.push(`  ${''.padEnd(width)} certificate SHA-256 ${source.fingerprint256}`);
  }
  lines.push(
    'A link sends the browser to a simulator, whose certificate is self-signed: the browser first warns that',
    'the connection is not private. For these simulators that is expected: choose Advanced, then Proceed',
    '(Chrome, Edge) or Accept the Risk and Continue (Firefox). If that took more than 20 s, click the link',
    'again (each click mints a fresh one-time ticket). Never click through for a real appliance: trust its',
    'certificate (CA or fingerprint) instead.',
  );
  return lines;
}

function tryIt(url: string, apiKey: string, sources: DemoSourceFacts[]): string[] {
  const source = sources.find((candidate) => candidate.link);
  if (!source?.link) return [];
  const auth = `-H 'authorization: Bearer ${apiKey}'`;
  return [
    '',
    'Try it (list devices, then create a launch link):',
    `  curl -s ${auth} ${url}/v1/appliances/${source.applianceId}/devices`,
    `  curl -s ${auth} -H 'content-type: application/json' \\`,
    `    -d '${JSON.stringify(source.link)}' ${url}/v1/links`,
  ];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
