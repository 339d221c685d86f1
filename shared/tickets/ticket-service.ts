import type { ApplianceConnections } from '../appliances/connections.js';
import { launchUrl } from '../appliances/dsview/launch-url.js';
import { validateViewerRequest } from '../appliances/dsview/validate.js';
import { ApplianceError } from '../appliances/errors.js';
import type { Appliance, Device, ViewerRequest } from '../appliances/types.js';
import type { AuditLog, AuditOutcome, RequestSource } from '../audit/audit-log.js';
import type { DeviceDirectory } from '../devices/directory.js';
import { InvalidInputError } from '../errors.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { SessionManager } from '../sessions/manager.js';

/** A minted ticket and the URL that spends it. Both are secrets outside the response that carries them. */
export interface IssuedTicket {
  ticket: string;
  launchUrl: string;
  expiresAt: number;
}

export interface TicketServiceOptions {
  registry: ApplianceRegistry;
  devices: DeviceDirectory;
  sessions: SessionManager;
  connections: ApplianceConnections;
  audit: AuditLog;
}

/** What is being opened, where, for whom. */
export interface LaunchTarget {
  applianceId: string;
  deviceId: string;
  request: ViewerRequest;
}

/** The audit outcome of a failed mint. */
export function failureOutcome(error: unknown): AuditOutcome {
  return error instanceof ApplianceError && error.kind === 'timeout'
    ? 'appliance_timeout'
    : 'appliance_error';
}

/** Validates launch requests against devices and appliances and mints viewer tickets. */
export class TicketService {
  constructor(private readonly options: TicketServiceOptions) {}

  /** Checks a request against the device and the appliance's platform and firmware; 400 naming the field. */
  async validate(target: LaunchTarget): Promise<{ appliance: Appliance; device: Device }> {
    const appliance = await this.options.registry.get(target.applianceId);
    const device = await this.options.devices.get(target.applianceId, target.deviceId);
    const errors = validateViewerRequest(device, appliance, target.request);
    if (errors.length) throw new InvalidInputError(errors);
    return { appliance, device };
  }

  /** Mints one ticket with the cached session (one appliance round trip when warm) and builds its URL. */
  async mint(appliance: Appliance, target: LaunchTarget): Promise<IssuedTicket> {
    const client = this.options.connections.for(appliance);
    const issued = await this.options.sessions.withSession(appliance.id, (session) =>
      client.createTicket(session),
    );
    const url = launchUrl({
      baseUrl: appliance.baseUrl,
      deviceId: target.deviceId,
      ...target.request,
      ticket: issued.ticket,
    });
    return { ticket: issued.ticket, launchUrl: url, expiresAt: issued.expiresAt };
  }

  /** The ticket API: validate, mint and audit, for an API client. */
  async issueForClient(clientId: string, target: LaunchTarget, source: RequestSource): Promise<IssuedTicket> {
    const { appliance } = await this.validate(target);
    const base = {
      clientId,
      applianceId: target.applianceId,
      deviceId: target.deviceId,
      ...target.request,
      ...source,
    };
    return this.options.audit.around(
      { ...base, outcome: 'ticket_issued' },
      () => this.mint(appliance, target),
      failureOutcome,
    );
  }
}
