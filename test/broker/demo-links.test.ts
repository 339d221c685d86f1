import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SOURCES, type Demo, startDemo } from '../../infra/local/demo.js';
import { applyConfig } from '../../shared/config/apply.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/**
 * Demo mode's simulated DSView and vCenter, registered like any appliance: the banner's links, one
 * `demo <kind> link` per kind (DSView's also as wave 1's `demo launch link`), and what their clicks open.
 */

let demo: Demo;
let t: TestBroker;
let links: Map<string, string>;

beforeAll(async () => {
  demo = await startDemo(DEMO_SOURCES.filter((source) => ['dsview', 'vcenter'].includes(source.kind)));
  t = await startTestBroker();
  // What demo mode registers: its sources and its own client, whose links these are.
  await applyConfig(t.broker, demo.config(t.url));
  links = new Map(await demo.createLinks(t.broker));
});
afterAll(async () => {
  await t?.close();
  await demo?.close();
});

describe('demo links', () => {
  it('are printed once per kind, DSView under both labels', () => {
    expect([...links.keys()].sort()).toEqual(['demo dsview link', 'demo launch link', 'demo vcenter link']);
    expect(links.get('demo dsview link')).toBe(links.get('demo launch link'));
  });

  it('DSView: a click answers 302 to launchUI', async () => {
    const click = await t.call('GET', new URL(links.get('demo dsview link')!).pathname);
    expect(click.status, click.text).toBe(302);
    expect(click.headers.location).toContain('/api/v1/launchUI/?');
  });

  it('vCenter: a click answers 302 to a vmrc:// ticket', async () => {
    const click = await t.call('GET', new URL(links.get('demo vcenter link')!).pathname);
    expect(click.status, click.text).toBe(302);
    expect(click.headers.location).toMatch(/^vmrc:\/\/clone:.+\/\?moid=vm-42$/);
  });
});
