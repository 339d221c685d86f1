import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../shared/observability.js';
import type { DcvSimulator } from '../../simulators/dcv/simulator.js';
import type { PasswordSafeSimulator } from '../../simulators/password-safe/simulator.js';
import type { VcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { type CallResult, startTestBroker, type TestBroker } from '../support/broker.js';
import {
  dcvAppliance,
  passwordSafeAppliance,
  startWaveTwoSources,
  vcenterAppliance,
  type WaveTwoSources,
} from '../support/sources.js';

/**
 * The secrets sweep for every wave-2 kind: each source's devices listed, a ticket and a link click of every
 * viewer type it offers, a lapsed session, a refused registration. Afterwards no source credential (password,
 * client secret, API key) appears anywhere, and no session id, access token, cookie, ticket, connection token or
 * RDP file the simulators issued appears in the logs, in the table, or in any response but the one that carried
 * it on purpose.
 */

let t: TestBroker;
let sources: WaveTwoSources;
let vcenter: VcenterSimulator;
let dcv: DcvSimulator;
let passwordSafe: PasswordSafeSimulator;
/** Every response, and whether it is one that must carry a credential (a ticket or a click's answer). */
const responses: { what: string; text: string; carrier: boolean }[] = [];

const text = (result: CallResult) => `${result.status}\n${JSON.stringify(result.headers)}\n${result.text}`;

beforeAll(async () => {
  sources = await startWaveTwoSources();
  ({ vcenter, dcv, passwordSafe } = sources);
  t = await startTestBroker({
    env: { CLIENT_RATE_LIMIT_PER_MINUTE: '100000', LAUNCH_FAILURES_PER_MINUTE: '100000' },
    extraAppliances: [
      vcenterAppliance(vcenter, { htmlConsole: { scriptUrls: ['https://sdk.example/wmks.min.js'] } }),
      vcenterAppliance(vcenter, {
        id: 'vc-wrong',
        name: 'vCenter, wrong password',
        credentials: { username: vcenter.credentials.username, password: 'not-the-password-0123' },
      }),
      dcvAppliance(dcv),
      passwordSafeAppliance(passwordSafe),
    ],
  });
  logger.setLogLevel('DEBUG');
});
afterAll(async () => {
  await t?.close();
  await sources?.close();
});

async function exercise(applianceId: string): Promise<void> {
  const key = t.keys.admin;
  const listed = await t.call('GET', `/v1/appliances/${applianceId}/devices`, { key });
  responses.push({ what: `list ${applianceId}`, text: text(listed), carrier: false });
  expect(listed.status).toBe(200);
  const devices = (listed.json as { devices: { id: string; viewerTypes: string[] }[] }).devices;
  const opened = devices.filter((device) => device.viewerTypes.length).slice(0, 2);
  expect(opened.length).toBeGreaterThan(0);
  for (const device of opened) {
    for (const viewerType of device.viewerTypes) {
      const path = `/v1/appliances/${applianceId}/devices/${encodeURIComponent(device.id)}/tickets`;
      const ticket = await t.call('POST', path, { key, body: { viewerType, reason: 'INC-1' } });
      responses.push({ what: `ticket ${viewerType}`, text: text(ticket), carrier: true });
      expect(ticket.status, `${applianceId} ${viewerType}: ${ticket.text}`).toBeLessThan(300);
      const link = await t.call('POST', '/v1/links', {
        key,
        body: { applianceId, deviceId: device.id, viewerType, singleUse: true },
      });
      responses.push({ what: `link ${viewerType}`, text: text(link), carrier: false });
      const url = new URL((link.json as { url: string }).url);
      const click = await t.call('GET', url.pathname);
      responses.push({ what: `click ${viewerType}`, text: text(click), carrier: true });
      expect(click.status, `${applianceId} ${viewerType} click`).toBeLessThan(400);
      const again = await t.call('GET', url.pathname);
      responses.push({ what: `second click ${viewerType}`, text: text(again), carrier: false });
    }
  }
}

describe('secrets sweep over vCenter, DCV and Password Safe', () => {
  it('runs every kind through lists, tickets, clicks, a lapsed session and a refused login', async () => {
    await exercise('vc');
    await exercise('dcv');
    await exercise('pam');
    vcenter.applyFaults({ forgetAllSessions: true });
    dcv.applyFaults({ forgetAllSessions: true });
    passwordSafe.applyFaults({ forgetAllSessions: true });
    await exercise('vc');
    await exercise('dcv');
    await exercise('pam');
    const refused = await t.call('POST', '/v1/appliances/vc-wrong/login', { key: t.keys.admin });
    responses.push({ what: 'refused login', text: text(refused), carrier: false });
    expect(refused.status).toBe(502);
    const audit = await t.call('GET', '/v1/audit?limit=200', { key: t.keys.admin });
    responses.push({ what: 'audit', text: text(audit), carrier: false });
  });

  it('no source credential appears in any log line, response or table item', async () => {
    const credentials = [
      vcenter.credentials.password,
      dcv.credentials.clientSecret,
      passwordSafe.credentials.apiKey!,
      'not-the-password-0123',
    ];
    const { Items = [] } = await t.broker.table.doc.send(new ScanCommand({ TableName: t.broker.table.name }));
    const haystacks = [t.output.join('\n'), ...responses.map((r) => r.text), JSON.stringify(Items)];
    for (const secret of credentials) {
      for (const haystack of haystacks) expect(haystack.includes(secret)).toBe(false);
    }
  });

  it('what the sources issued appears only in the one answer that carries it', async () => {
    const issued = [
      ...vcenter.secretsIssued(),
      ...dcv.secretsIssued(),
      ...passwordSafe.secretsIssued(),
    ].filter((secret) => secret.length >= 12);
    expect(issued.length).toBeGreaterThan(10);
    const { Items = [] } = await t.broker.table.doc.send(new ScanCommand({ TableName: t.broker.table.name }));
    const logs = t.output.join('\n');
    // The sweep means something only if the broker's log lines were captured.
    expect(logs).toContain('appliance session login');
    const table = JSON.stringify(Items);
    const others = responses.filter((response) => !response.carrier).map((response) => response.text);
    for (const secret of issued) {
      expect(logs.includes(secret), 'a log line carries an issued secret').toBe(false);
      expect(table.includes(secret), 'the table holds an issued secret in plain text').toBe(false);
      for (const other of others) expect(other.includes(secret)).toBe(false);
    }
  });
});
