import { ForbiddenError } from '../errors.js';

export const SCOPES = ['devices:read', 'tickets:create', 'links:create', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An authenticated API client as every handler sees it. */
export interface Principal {
  clientId: string;
  scopes: Scope[];
  /** Appliance ids this client may use, or `['*']`. */
  appliances: string[];
}

/** True when the client holds the scope; `admin` holds every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

/** True when the appliance is on the client's allow-list. */
export function canUseAppliance(principal: Principal, applianceId: string): boolean {
  return principal.appliances.includes('*') || principal.appliances.includes(applianceId);
}

/** Throws `ForbiddenError` unless the client holds the scope. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) {
    throw new ForbiddenError(`client ${principal.clientId} lacks the scope ${scope} this route needs`);
  }
}

/** Throws `ForbiddenError` unless the appliance is on the client's allow-list. */
export function requireAppliance(principal: Principal, applianceId: string): void {
  if (!canUseAppliance(principal, applianceId)) {
    throw new ForbiddenError(`client ${principal.clientId} may not use appliance ${applianceId}`);
  }
}
