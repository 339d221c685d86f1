import { describe, expect, it } from 'vitest';
import { type BannerFacts, renderBanner } from '../../infra/local/banner.js';
import type { DemoSourceFacts } from '../../infra/local/demo.js';

const URL = 'http://127.0.0.1:3000';
const source: DemoSourceFacts = {
  kind: 'dsview',
  applianceId: 'demo',
  name: 'Demo DSView (simulated MP1000)',
  url: 'https://127.0.0.1:40001',
  username: 'admin',
  password: 'sim-password',
  fingerprint256: 'AB:CD',
  linkLabel: 'demo launch link',
  link: { applianceId: 'demo', deviceId: 'dev-1', viewerType: 'KVM' },
};
const docs = [
  { path: '/', what: 'start here' },
  { path: '/openapi.json', what: 'OpenAPI' },
];

const demoFacts: BannerFacts = {
  url: URL,
  state: 'in memory (gone when the broker stops)',
  docs,
  mode: {
    kind: 'demo',
    apiKey: 'demo_key',
    sources: [source],
    links: [['demo launch link', `${URL}/launch/tok`]],
  },
};

describe('the start banner', () => {
  it('keeps the contract lines verbatim, each on its own line', () => {
    const lines = renderBanner(demoFacts).split('\n');
    expect(lines).toContain(`ready ${URL}`);
    expect(lines).toContain('demo api key: demo_key');
    expect(lines).toContain(`demo launch link: ${URL}/launch/tok`);
  });

  it('is one block ending in a newline, framed by rules', () => {
    const text = renderBanner(demoFacts);
    expect(text.endsWith('\n')).toBe(true);
    const rules = text.split('\n').filter((line) => /^─+$/.test(line));
    expect(rules).toHaveLength(2);
    expect(text.trimEnd().endsWith(rules[1] as string)).toBe(true);
  });

  it('gives the simulated source, what the browser will say, two ready-to-paste commands and the way out', () => {
    const text = renderBanner(demoFacts);
    expect(text).toContain('https://127.0.0.1:40001  username admin  password sim-password');
    expect(text).toContain('certificate SHA-256 AB:CD');
    expect(text).toMatch(/not private[\s\S]*Advanced/);
    expect(text).toContain(`curl -s -H 'authorization: Bearer demo_key' ${URL}/v1/appliances/demo/devices`);
    expect(text).toContain(
      `-d '{"applianceId":"demo","deviceId":"dev-1","viewerType":"KVM"}' ${URL}/v1/links`,
    );
    expect(text).toContain('Leaving demo mode: start with BROKER_CONFIG=<file>');
    expect(text).toContain(`${URL}/openapi.json (OpenAPI)`);
    expect(text).toContain('stops the broker and its engines.');
  });

  it('outside demo mode prints no key and says what it serves and what it cleaned up', () => {
    const text = renderBanner({
      url: URL,
      state: 'in .data (kept across restarts)',
      docs,
      mode: {
        kind: 'config',
        file: 'broker.json',
        appliances: 2,
        clients: 1,
        removedDemo: ['appliance demo'],
      },
    });
    expect(text).not.toContain('demo api key');
    expect(text).not.toContain('Leaving demo mode');
    expect(text).toContain('configuration: broker.json (2 appliances and 1 API client)');
    expect(text).toContain('removed what demo mode had added: appliance demo');
    expect(text).toContain('State: in .data (kept across restarts).');
  });

  it('with stored state and no file, says so and how to add to it', () => {
    const text = renderBanner({
      url: URL,
      state: 'in the shared engines at http://127.0.0.1:8000',
      sharedEngines: true,
      docs,
      mode: { kind: 'store', appliances: 0, clients: 0, removedDemo: [] },
    });
    expect(text).toContain('stops the broker; the shared engines keep running.');
    expect(text).toContain(
      'serving the configuration already stored (0 appliances and 0 API clients); add to it with BROKER_CONFIG=<file> or the CLI',
    );
    expect(text).not.toContain('demo');
  });
});
