import { ApplianceError } from '../appliances/errors.js';
import type { ApplianceGateway } from '../appliances/gateway.js';
import {
  type Device,
  type Launch,
  type LaunchContext,
  sourceRefOf,
  type ViewerRequest,
} from '../appliances/provider.js';
import { type Appliance, providerOf } from '../appliances/providers.js';
import type { AuditInput, AuditLog, AuditOutcome, RequestSource } from '../audit/audit-log.js';
import type { DeviceDirectory } from '../devices/directory.js';
import { DeviceUnavailableError, InvalidInputError } from '../errors.js';
import type { ApplianceRegistry } from '../registry/appliances.js';

export interface TicketServiceOptions {
  registry: ApplianceRegistry;
  devices: DeviceDirectory;
  gateway: ApplianceGateway;
  audit: AuditLog;
}

/** What is being opened, where, for whom. */
export interface LaunchTarget {
  applianceId: string;
  deviceId: string;
  request: ViewerRequest;
}

/** The audit outcome of a failed launch. */
export function failureOutcome(error: unknown): AuditOutcome {
  if (error instanceof DeviceUnavailableError) return 'device_unavailable';
  return error instanceof ApplianceError && error.kind === 'timeout'
    ? 'appliance_timeout'
    : 'appliance_error';
}

/**
 * The audit outcome of a launch that answered. A click answered with its console is `redirected` whatever
 * the answer's form (302, console page, file), so the optimistic audit write holds and costs no second one.
 */
export function launchOutcome(launch: Launch, api: boolean): AuditOutcome {
  if (launch.kind === 'pending') return 'pending_approval';
  return api ? 'ticket_issued' : 'redirected';
}

/** What a launch adds to its audit event: the source's reference, never a credential. */
export function launchDetails(launch: Launch): Partial<AuditInput> {
  const sourceRef = sourceRefOf(launch);
  return sourceRef === undefined ? {} : { sourceRef };
}

/** The request's launch fields as audit events carry them (never a credential). */
export function auditFields(target: LaunchTarget, reason?: string): Partial<AuditInput> {
  const { viewerType, sharingMode, mouseMode, user } = target.request;
  return {
    applianceId: target.applianceId,
    deviceId: target.deviceId,
    viewerType,
    ...(sharingMode === undefined ? {} : { sharingMode }),
    ...(mouseMode === undefined ? {} : { mouseMode }),
    ...(user === undefined ? {} : { user }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** Validates launch requests against devices and appliances and launches through the appliance's provider. */
export class TicketService {
  constructor(private readonly options: TicketServiceOptions) {}

  /** Checks a request against the device and the appliance's own rules; 400 naming the field. */
  async validate(target: LaunchTarget): Promise<{ appliance: Appliance; device: Device }> {
    const appliance = await this.options.registry.get(target.applianceId);
    const device = await this.options.devices.get(target.applianceId, target.deviceId);
    const errors = providerOf(appliance.kind).validate(device, appliance, target.request);
    if (errors.length) throw new InvalidInputError(errors);
    return { appliance, device };
  }

  /** One launch with the cached session: one source round trip when warm. */
  launch(
    appliance: Appliance,
    device: Device,
    request: ViewerRequest,
    context: LaunchContext,
  ): Promise<Launch> {
    return this.options.gateway.use(appliance, (client, session) =>
      client.launch(session, device, request, context),
    );
  }

  /** The ticket API: validate, launch and audit, for an API client. */
  async issueForClient(
    clientId: string,
    target: LaunchTarget,
    source: RequestSource,
    reason?: string,
  ): Promise<Launch> {
    const { appliance, device } = await this.validate(target);
    const context = { clientId, ...(reason === undefined ? {} : { reason }) };
    // A reference the source's client already knows (a remembered access request) goes into the optimistic
    // event, so a launch that confirms it costs no second audit write.
    const expectedRef = this.options.gateway.expectedSourceRef(appliance, device, target.request, context);
    const event = {
      clientId,
      ...auditFields(target, reason),
      ...source,
      ...(expectedRef === undefined ? {} : { sourceRef: expectedRef }),
    };
    return this.options.audit.around(
      { ...event, outcome: 'ticket_issued' },
      () => this.launch(appliance, device, target.request, context),
      failureOutcome,
      (launch) => launchOutcome(launch, true),
      (launch) => (sourceRefOf(launch) === expectedRef ? {} : launchDetails(launch)),
    );
  }

  /** The fallback a person is shown when nothing could be launched. */
  fallbackUrl(appliance: Appliance, deviceId: string, request: ViewerRequest): string {
    return providerOf(appliance.kind).fallbackUrl(appliance, { id: deviceId }, request);
  }
}
