import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliancePermissionError } from '../../shared/appliances/errors.js';
import { cookieHeader, errorText, refusalOf } from '../../shared/appliances/password-safe/client.js';
import { passwordSafe } from '../../shared/appliances/password-safe/index.js';
import { rdpFileFacts } from '../../shared/appliances/password-safe/launch.js';
import type {
  PasswordSafeCredentials,
  PasswordSafeState,
} from '../../shared/appliances/password-safe/schemas.js';
import type { Device, ProviderClient, ProviderSession } from '../../shared/appliances/provider.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { DeviceUnavailableError } from '../../shared/errors.js';
import {
  type PasswordSafeSimulator,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import { describeProvider } from './contract.js';

describeProvider<PasswordSafeSimulator>({
  kind: 'password-safe',
  start: () => startPasswordSafeSimulator(),
  appliance: (sim) => ({
    name: 'Contract Password Safe',
    kind: 'password-safe',
    baseUrl: sim.baseUrl,
    tls: { caPem: sim.certPem },
    credentials: { ...sim.credentials } as { apiKey: string; runAs: string },
  }),
  // WIN-DC01\Administrator and web-01\deploy release at once; WIN-DC01\svc-backup waits for an approver.
  launches: () => [
    { deviceId: '1.11', request: { viewerType: 'RDP' }, expect: 'download' },
    { deviceId: '3.32', request: { viewerType: 'SSH' }, expect: 'page' },
    { deviceId: '1.12', request: { viewerType: 'RDP' }, expect: 'pending' },
  ],
});

describe('password-safe provider, directly against the simulator', () => {
  let sim: PasswordSafeSimulator;
  let client: ProviderClient<PasswordSafeCredentials, PasswordSafeState>;
  let session: ProviderSession<PasswordSafeState>;
  let devices: Device[];
  const appliance = (overrides: Record<string, unknown> = {}) =>
    passwordSafe.schemas.appliance.parse({
      id: 'pam',
      name: 'PAM',
      kind: 'password-safe',
      baseUrl: sim.baseUrl,
      tls: { caPem: sim.certPem },
      ...overrides,
    });
  const device = (id: string) => devices.find((candidate) => candidate.id === id)!;

  beforeAll(async () => {
    sim = await startPasswordSafeSimulator({ password: 'run-as; pass]word' });
    const record = appliance({ durationMinutes: 90 });
    client = passwordSafe.client(record, new HttpsTransport(record.id, record.baseUrl, record.tls));
    session = await client.login(passwordSafe.schemas.credentials.parse(sim.credentials));
    devices = (await client.listDevices(session)).devices;
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it('signs in with the run-as password and keeps only a hash of the cookie in the session id', () => {
    expect(session.principal).toBe('svc-broker');
    expect(session.state.cookie).toMatch(/^ASP\.NET_SessionId=[a-z0-5]{24}$/);
    expect(session.id).toMatch(/^[0-9a-f]{16}$/);
    expect(session.expiresAt - Date.now()).toBeGreaterThan(19 * 60_000);
  });

  it('lists API-enabled accounts with their platform as type and viewer types, unknown platforms offering both', () => {
    expect(devices.map((d) => [d.id, d.name, d.type, d.viewerTypes.join('+')])).toEqual([
      ['1.11', 'WIN-DC01\\corp.example\\Administrator', 'WINDOWS', 'RDP'],
      ['1.12', 'WIN-DC01\\corp.example\\svc-backup', 'WINDOWS', 'RDP'],
      ['2.21', 'WIN-APP02\\Administrator', 'WINDOWS', 'RDP'],
      ['3.31', 'web-01.corp.example\\root', 'LINUX', 'SSH'],
      ['3.32', 'web-01.corp.example\\deploy', 'LINUX', 'SSH'],
      ['4.41', 'core-sw-01\\admin', 'CISCO', 'SSH'],
      ['5.51', 'MF-PROD\\OPERATOR', 'PLATFORM_87', 'RDP+SSH'],
    ]);
    expect(device('1.11').tags).toEqual({
      system: 'WIN-DC01',
      account: 'Administrator',
      domain: 'corp.example',
    });
  });

  it('caps the duration at the account maximum, sends the default reason, and reuses the request per client', async () => {
    const before = sim.counters.accessRequests;
    sim.approve(
      Number(
        (
          (await client.launch(session, device('2.21'), { viewerType: 'RDP' }, { clientId: 'ops' })) as {
            requestId: string;
          }
        ).requestId,
      ),
    );
    const launch = await client.launch(session, device('2.21'), { viewerType: 'RDP' }, { clientId: 'ops' });
    expect(launch.kind).toBe('download');
    expect(sim.counters.accessRequests - before).toBe(1);
    if (launch.kind !== 'download') return;
    // 90 minutes asked, 60 the account's maximum (the simulator refuses more with 400).
    expect(launch.expiresAt - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    expect(launch.api).toMatchObject({ host: '127.0.0.1', port: 4489 });
  });

  it('release checks the request in, and the next click files a fresh one', async () => {
    const first = await client.launch(session, device('3.32'), { viewerType: 'SSH' }, { clientId: 'ops' });
    expect(first.kind).toBe('page');
    const requests = sim.counters.accessRequests;
    const checkins = sim.counters.checkins;
    const requestId = requests + 122; // ids count up from 123
    expect(sim.requestState(requestId)).toBe('approved');
    await client.release!(session, String(requestId));
    expect(sim.counters.checkins - checkins).toBe(1);
    expect(sim.requestState(requestId)).toBe('checked-in');
    const again = await client.launch(session, device('3.32'), { viewerType: 'SSH' }, { clientId: 'ops' });
    expect(again.kind).toBe('page');
    expect(sim.counters.accessRequests - requests).toBe(1);
  });

  it('a request cancelled at the source is a 409 once; the next click files a fresh one', async () => {
    await client.launch(session, device('4.41'), { viewerType: 'SSH' }, { clientId: 'ops' });
    const requestId = sim.counters.accessRequests + 122;
    sim.cancel(requestId);
    await expect(
      client.launch(session, device('4.41'), { viewerType: 'SSH' }, { clientId: 'ops' }),
    ).rejects.toBeInstanceOf(DeviceUnavailableError);
    const after = await client.launch(session, device('4.41'), { viewerType: 'SSH' }, { clientId: 'ops' });
    expect(after.kind).toBe('page');
  });

  it('a platform that cannot do the access type is a permission error naming 4031', async () => {
    const error = await client
      .launch(session, device('5.51'), { viewerType: 'RDP' }, { clientId: 'ops' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppliancePermissionError);
    expect((error as Error).message).toContain('4031');
  });

  it('validate refuses other kinds’ launch fields and viewer types the account does not offer', () => {
    const errors = passwordSafe.validate(device('1.11'), appliance(), {
      viewerType: 'SSH',
      sharingMode: 'ACTIVE',
      user: 'someone',
    });
    expect(errors.map((e) => e.field).sort()).toEqual(['sharingMode', 'user', 'viewerType']);
    expect(passwordSafe.validate(device('1.11'), appliance(), { viewerType: 'RDP' })).toEqual([]);
  });

  it('falls back to the web portal, the base URL’s origin', () => {
    expect(passwordSafe.fallbackUrl(appliance(), { id: '1.11' }, { viewerType: 'RDP' })).toBe(`${sim.url}/`);
  });

  it('signs out', async () => {
    const other = await client.login(passwordSafe.schemas.credentials.parse(sim.credentials));
    const signOuts = sim.counters.signOuts;
    await client.logout!(other);
    expect(sim.counters.signOuts - signOuts).toBe(1);
  });
});

describe('password-safe answer parsing', () => {
  it('replays every cookie of Set-Cookie, without attributes', () => {
    expect(cookieHeader(['A=1; path=/; secure', 'B=two; HttpOnly'])).toBe('A=1; B=two');
    expect(cookieHeader(undefined)).toBeUndefined();
  });

  it('reads the request state from a 403 body, coded or worded', () => {
    expect(refusalOf(errorText('"4034 - Request is not yet approved"'))).toBe('pending');
    expect(refusalOf(errorText('4034'))).toBe('pending');
    expect(refusalOf(errorText('"Request has been denied"'))).toBe('denied');
    expect(refusalOf(errorText('"Request has been canceled"'))).toBe('cancelled');
    expect(refusalOf(errorText('"4031 - User does not have permission"'))).toBeUndefined();
  });

  it('reads host, port and ticket from an RDP file', () => {
    expect(rdpFileFacts('full address:s:proxy.example:4489\r\nusername:s:abc123\r\n')).toEqual({
      host: 'proxy.example',
      port: 4489,
      ticket: 'abc123',
    });
  });
});
