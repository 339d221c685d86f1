import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_NAME_PREFIX, removeDemoLeftovers } from '../../infra/local/demo.js';
import type { ConfigFile } from '../../shared/config/file.js';

/** Just the store calls removeDemoLeftovers makes, over in-memory lists. */
function fakeBroker(appliances: { id: string; name: string }[], clients: string[]) {
  const calls: string[] = [];
  const broker = {
    registry: {
      list: async () => appliances,
      secretId: (id: string) => `appliances/${id}`,
      forget: () => undefined,
    },
    table: {
      name: 'broker',
      doc: {
        send: async (command: { input: { Key: { pk: string } } }) => {
          calls.push(`remove appliance ${command.input.Key.pk.replace('APPLIANCE#', '')}`);
          return {};
        },
      },
    },
    secrets: {
      client: {
        send: async (command: { input: { SecretId: string } }) => {
          calls.push(`delete secret ${command.input.SecretId}`);
          return {};
        },
      },
      forget: () => undefined,
    },
    sessions: {
      forget: async (id: string) => {
        calls.push(`forget session ${id}`);
      },
    },
    inventory: {
      store: {
        devicesOf: async () => [{ id: 'd1' }],
        write: async (id: string, _devices: unknown[], removed: string[]) => {
          calls.push(`drop inventory ${id} ${removed.join(',')}`);
        },
        bumpVersion: async () => undefined,
      },
    },
    clients: {
      list: async () => clients.map((id) => ({ id })),
      revoke: async (id: string) => {
        calls.push(`revoke client ${id}`);
      },
    },
  };
  return { broker: broker as unknown as Parameters<typeof removeDemoLeftovers>[0], calls };
}

const demoAppliance = { id: 'demo', name: `${DEMO_NAME_PREFIX}DSView (simulated MP1000)` };

describe('removing what demo mode left in a real store', () => {
  it('removes the demo appliance (session, inventory) and the demo client', async () => {
    const { broker, calls } = fakeBroker(
      [demoAppliance, { id: 'lab', name: 'Lab' }],
      [DEMO_CLIENT_ID, 'ops'],
    );
    expect(await removeDemoLeftovers(broker, undefined)).toEqual(['appliance demo', 'client demo']);
    expect(calls).toEqual([
      'remove appliance demo',
      'delete secret appliances/demo',
      'forget session demo',
      'drop inventory demo d1',
      'revoke client demo',
    ]);
  });

  it('keeps entries the configuration defines itself, and real entries that merely share the id', async () => {
    const config = {
      appliances: [{ id: 'demo' }],
      clients: [{ id: DEMO_CLIENT_ID }],
    } as unknown as ConfigFile;
    const configured = fakeBroker([demoAppliance], [DEMO_CLIENT_ID]);
    expect(await removeDemoLeftovers(configured.broker, config)).toEqual([]);
    expect(configured.calls).toEqual([]);

    const real = fakeBroker([{ id: 'demo', name: 'Showroom rack' }], [DEMO_CLIENT_ID]);
    expect(await removeDemoLeftovers(real.broker, undefined)).toEqual([]);
    expect(real.calls).toEqual([]);
  });
});
