import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SOURCES, type Demo, startDemo } from '../../infra/local/demo.js';
import { applyConfig } from '../../shared/config/apply.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** Demo mode's simulated vCenter: registered like any vCenter, and its banner link opens VMRC. */

let demo: Demo;
let t: TestBroker;

beforeAll(async () => {
  demo = await startDemo(DEMO_SOURCES.filter((source) => source.kind === 'vcenter'));
  t = await startTestBroker();
  // What demo mode registers: its vCenter and its own client, whose links these are.
  await applyConfig(t.broker, demo.config(t.url));
});
afterAll(async () => {
  await t?.close();
  await demo?.close();
});

describe('demo vCenter', () => {
  it('prints a "demo vcenter link" whose click answers 302 to a vmrc:// ticket', async () => {
    const links = await demo.createLinks(t.broker);
    expect(links.map(([label]) => label)).toEqual(['demo vcenter link']);
    const [, url] = links[0]!;
    const click = await t.call('GET', new URL(url).pathname);
    expect(click.status, click.text).toBe(302);
    expect(click.headers.location).toMatch(/^vmrc:\/\/clone:.+\/\?moid=vm-42$/);
  });
});
