import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SOURCES, type Demo, startDemo } from '../../infra/local/demo.js';
import { applyConfig } from '../../shared/config/apply.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** Demo mode's simulated DSView: its link is printed under both contracts' labels, and its click opens launchUI. */

let demo: Demo;
let t: TestBroker;

beforeAll(async () => {
  demo = await startDemo(DEMO_SOURCES.filter((source) => source.kind === 'dsview'));
  t = await startTestBroker();
  await applyConfig(t.broker, demo.config(t.url));
});
afterAll(async () => {
  await t?.close();
  await demo?.close();
});

describe('demo DSView', () => {
  it('prints "demo launch link" (wave 1) and "demo dsview link" (wave 2) for one link that answers 302', async () => {
    const links = await demo.createLinks(t.broker);
    expect(links.map(([label]) => label)).toEqual(['demo launch link', 'demo dsview link']);
    expect(links[0]![1]).toBe(links[1]![1]);
    const click = await t.call('GET', new URL(links[0]![1]).pathname);
    expect(click.status, click.text).toBe(302);
    expect(click.headers.location).toContain('/api/v1/launchUI/?');
  });
});
