import { createHash } from 'node:crypto';
import { DeviceUnavailableError, type FieldError, NotFoundError } from '../../errors.js';
import type { ApplianceProvider, Device, Launch, ProviderClient } from '../provider.js';
import { PasswordSafeClient, type RequestRefusal } from './client.js';
import { pendingLaunch, rdpLaunch, sshLaunch } from './launch.js';
import { platformFacts, VIEWER_TYPES, type ViewerType } from './platforms.js';
import { RequestMemory } from './request-memory.js';
import {
  type ManagedAccount,
  type PasswordSafeAppliance,
  type PasswordSafeCredentials,
  type PasswordSafeState,
  passwordSafeApplianceSchema,
  passwordSafeCredentialsSchema,
  passwordSafeStateSchema,
} from './schemas.js';

/** "Closed server side automatically after 20 minutes of uninterrupted inactivity" [B3]: renewed ahead of it. */
const IDLE_TIMEOUT_MS = 20 * 60_000;
const DEFAULT_DURATION_MINUTES = 60;

/** `<SystemId>.<AccountId>`, the contract's device id. */
function deviceIdOf(account: Pick<ManagedAccount, 'SystemId' | 'AccountId'>): string {
  return `${account.SystemId}.${account.AccountId}`;
}

function parseDeviceId(id: string): { systemId: number; accountId: number } {
  const match = /^(\d{1,10})\.(\d{1,10})$/.exec(id);
  if (!match) throw new NotFoundError('device', id);
  return { systemId: Number(match[1]), accountId: Number(match[2]) };
}

function toDevice(account: ManagedAccount): Device {
  const platform = platformFacts(account.PlatformID);
  const domain = account.DomainName?.trim() || undefined;
  return {
    id: deviceIdOf(account),
    name: [account.SystemName, domain, account.AccountName].filter(Boolean).join('\\'),
    type: platform.type,
    connectionPaths: [],
    viewerTypes: [...platform.viewerTypes],
    tags: {
      system: account.SystemName,
      account: account.AccountName,
      ...(domain ? { domain } : {}),
    },
  };
}

/** A request whose state ends it, in the words the 409 uses. */
const ENDED: Record<Exclude<RequestRefusal, 'pending'>, string> = {
  denied: 'was denied by an approver',
  cancelled: 'was cancelled',
  'checked-in': 'was checked in',
  expired: 'has expired',
  gone: 'no longer exists',
};

/**
 * BeyondTrust Password Safe (Public API v3): a managed account is a device; a click files (or reuses) an access
 * request and opens an RDP file or an SSH ticket session on it, or waits while an approver decides.
 */
export const passwordSafe: ApplianceProvider<
  PasswordSafeAppliance,
  PasswordSafeCredentials,
  PasswordSafeState
> = {
  kind: 'password-safe',
  title: 'BeyondTrust Password Safe',
  viewerTypes: VIEWER_TYPES,
  schemas: {
    appliance: passwordSafeApplianceSchema,
    credentials: passwordSafeCredentialsSchema,
    state: passwordSafeStateSchema,
  },
  // The CLI reads the first from stdin; the optional run-as password comes from the config file, never argv.
  secretFields: ['apiKey', 'password'],
  requestFields: {},
  client(appliance, transport): ProviderClient<PasswordSafeCredentials, PasswordSafeState> {
    const api = new PasswordSafeClient(appliance.id, appliance.baseUrl, transport);
    const memory = new RequestMemory(Date.now);
    // Each account's MaximumReleaseDuration as last listed; a cold process looks its system up once.
    const maximumMinutes = new Map<string, number | null>();
    const learn = (accounts: ManagedAccount[]) => {
      for (const account of accounts)
        maximumMinutes.set(deviceIdOf(account), account.MaximumReleaseDuration ?? null);
    };
    const durationFor = async (cookie: string, deviceId: string, systemId: number): Promise<number> => {
      if (!maximumMinutes.has(deviceId)) learn(await api.managedAccounts(cookie, systemId));
      const maximum = maximumMinutes.get(deviceId);
      if (maximum === undefined) throw new NotFoundError('device', deviceId);
      const wanted = appliance.durationMinutes ?? DEFAULT_DURATION_MINUTES;
      return maximum === null ? wanted : Math.min(wanted, maximum);
    };

    /** One `Sessions` call on a request: the console, a pending wait, or the refusal that ended the request. */
    const open = async (
      cookie: string,
      device: Device,
      viewerType: ViewerType,
      requestId: number,
      expiresAt: number,
    ): Promise<Launch | Exclude<RequestRefusal, 'pending'>> => {
      const answer = await api.openSession(cookie, requestId, viewerType === 'RDP' ? 'rdpfile' : 'sshticket');
      if (answer.kind === 'rdpfile') return rdpLaunch(device, answer.file, expiresAt, requestId);
      if (answer.kind === 'ticket') return sshLaunch(device, answer.ticket, expiresAt, requestId);
      if (answer.why === 'pending') return pendingLaunch(device, viewerType, requestId);
      return answer.why;
    };

    return {
      async login(credentials) {
        const { cookie, userName } = await api.signIn(credentials);
        return {
          // The cookie is the secret; a hash prefix tells sessions apart without revealing it.
          id: createHash('sha256').update(cookie).digest('hex').slice(0, 16),
          principal: userName,
          expiresAt: Date.now() + IDLE_TIMEOUT_MS,
          state: { cookie },
        };
      },
      async listDevices(session, filter = {}) {
        const accounts = await api.managedAccounts(session.state.cookie);
        learn(accounts);
        const devices = accounts.map(toDevice).filter((d) => !filter.type || d.type === filter.type);
        return { devices, complete: !filter.type };
      },
      expectedSourceRef(device, request, context) {
        const remembered = memory.get(requestKey(context.clientId, device.id, request.viewerType));
        return remembered === undefined ? undefined : String(remembered.requestId);
      },
      async launch(session, device, request, context) {
        const { cookie } = session.state;
        const viewerType = request.viewerType as ViewerType;
        const { systemId, accountId } = parseDeviceId(device.id);
        const key = requestKey(context.clientId, device.id, viewerType);
        const remembered = memory.get(key);
        if (remembered) {
          const result = await open(cookie, device, viewerType, remembered.requestId, remembered.expiresAt);
          if (typeof result !== 'string') return result;
          memory.delete(key);
          // A denial is the approver's answer to this very request: say so rather than ask again unasked.
          if (result === 'denied' || result === 'cancelled') {
            throw new DeviceUnavailableError(
              device.id,
              `the access request ${remembered.requestId} ${ENDED[result]}`,
            );
          }
          // Checked in, expired or gone: this memory was stale, file a fresh request below.
        }
        const minutes = await durationFor(cookie, device.id, systemId);
        const requestId = await api.fileRequest(cookie, {
          SystemID: systemId,
          AccountID: accountId,
          DurationMinutes: minutes,
          Reason: context.reason ?? `Console Launch Broker: ${context.clientId}`,
          AccessType: viewerType,
          ConflictOption: 'reuse',
        });
        const expiresAt = Date.now() + minutes * 60_000;
        memory.set(key, { requestId, expiresAt });
        const result = await open(cookie, device, viewerType, requestId, expiresAt);
        if (typeof result !== 'string') return result;
        memory.delete(key);
        throw new DeviceUnavailableError(device.id, `the access request ${requestId} ${ENDED[result]}`);
      },
      async release(session, requestId) {
        const id = Number(requestId);
        if (!Number.isSafeInteger(id) || id <= 0) return;
        memory.forgetRequest(id);
        await api.checkin(session.state.cookie, id);
      },
      logout: (session) => api.signOut(session.state.cookie),
      close: () => transport.close(),
    };
  },
  validate(device, _appliance, request) {
    const errors: FieldError[] = [];
    for (const [field, value] of Object.entries(request)) {
      if (field !== 'viewerType' && value !== undefined) {
        errors.push({ field, message: `${field} does not apply to password-safe appliances` });
      }
    }
    if (!device.viewerTypes.includes(request.viewerType)) {
      const supported = device.viewerTypes.length ? device.viewerTypes.join(', ') : 'none';
      errors.push({
        field: 'viewerType',
        message: `account ${device.id} (${device.type}) does not offer viewer type ${request.viewerType}; supported: ${supported}`,
      });
    }
    return errors;
  },
  fallbackUrl: (appliance) => `${new URL(appliance.baseUrl).origin}/`,
};

/** The remembered request of one client for one account and access type (the ConflictOption reuse scope). */
function requestKey(clientId: string, deviceId: string, viewerType: string): string {
  return JSON.stringify([clientId, deviceId, viewerType]);
}
