import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ApplianceAuthError } from '../../shared/appliances/errors.js';
import type { ApplianceProvider, Device, ProviderSession } from '../../shared/appliances/provider.js';
import { applianceFields } from '../../shared/appliances/schemas.js';

/**
 * A console source that lives in memory: the session and link algorithms are tested against it without any
 * vendor's rules in the way. Its knobs are the ones those algorithms care about: how many logins happened,
 * forgetting every session, refusing logins, and a login that takes time.
 */
export interface FakeSource {
  readonly provider: ApplianceProvider<FakeAppliance, FakeCredentials, FakeState>;
  readonly counters: { logins: number; launches: number; signOuts: number };
  /** The source forgets every session (a restart): the next call with an old one is refused. */
  forgetAllSessions(): void;
  refuseLogins(on: boolean): void;
  loginDelayMs: number;
  /** Session lifetime the source grants. */
  sessionTtlMs: number;
}

const fakeApplianceSchema = z.strictObject({ ...applianceFields('fake') });
type FakeAppliance = z.infer<typeof fakeApplianceSchema>;
const fakeCredentials = z.strictObject({ token: z.string().min(1) });
type FakeCredentials = z.infer<typeof fakeCredentials>;
const fakeState = z.strictObject({ secret: z.string().min(1) });
type FakeState = z.infer<typeof fakeState>;

export const FAKE_DEVICES: Device[] = [
  { id: 'fake-1', name: 'fake one', type: 'FAKE', connectionPaths: [], viewerTypes: ['FAKE'] },
];

export function fakeSource(clock: () => number = Date.now): FakeSource {
  const live = new Set<string>();
  let refusing = false;
  const source: FakeSource = {
    counters: { logins: 0, launches: 0, signOuts: 0 },
    loginDelayMs: 0,
    sessionTtlMs: 60 * 60_000,
    forgetAllSessions: () => live.clear(),
    refuseLogins: (on) => {
      refusing = on;
    },
    provider: {
      kind: 'fake',
      title: 'In-memory test source',
      viewerTypes: ['FAKE'],
      schemas: { appliance: fakeApplianceSchema, credentials: fakeCredentials, state: fakeState },
      secretFields: ['token'],
      requestFields: {},
      client: (appliance) => {
        const check = (session: ProviderSession<FakeState>, step: string) => {
          if (!live.has(session.state.secret)) throw new ApplianceAuthError(appliance.id, step, 401);
        };
        return {
          async login() {
            if (source.loginDelayMs) await new Promise((resolve) => setTimeout(resolve, source.loginDelayMs));
            if (refusing) throw new ApplianceAuthError(appliance.id, 'login', 401);
            source.counters.logins++;
            const secret = randomBytes(16).toString('hex');
            live.add(secret);
            return {
              id: createHash('sha256').update(secret).digest('hex').slice(0, 12),
              principal: 'fake-user',
              expiresAt: clock() + source.sessionTtlMs,
              state: { secret },
            };
          },
          async listDevices(session) {
            check(session, 'listDevices');
            return { devices: FAKE_DEVICES, complete: true };
          },
          async launch(session, device) {
            check(session, 'launch');
            source.counters.launches++;
            const location = `https://fake.example/console?device=${encodeURIComponent(device.id)}`;
            return { kind: 'redirect', location, expiresAt: clock() + 20_000, api: { launchUrl: location } };
          },
          async logout(session) {
            if (live.delete(session.state.secret)) source.counters.signOuts++;
          },
          close: async () => undefined,
        };
      },
      validate: () => [],
      fallbackUrl: () => 'https://fake.example/',
    },
  };
  return source;
}

export const fakeAppliance = (id: string): FakeAppliance => ({
  id,
  name: `Fake ${id}`,
  kind: 'fake',
  baseUrl: 'https://fake.example',
  tls: { insecure: true },
});
