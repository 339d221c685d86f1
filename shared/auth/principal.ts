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

/**
 * The creator of links made with the operator CLI. The CLI writes to the table with the operator's own AWS
 * credentials, so its links answer to whoever may run it, not to an API client: no client can take this id
 * (`clientSchema` refuses it), its links are never stopped by a client's revocation, and an admin (or the
 * CLI, `links revoke --client operator-cli`) revokes them.
 */
export const OPERATOR_CLI_PRINCIPAL: Principal = Object.freeze({
  clientId: 'operator-cli',
  scopes: ['admin'],
  appliances: ['*'],
}) as Principal;

/** True when a link made by `creator` may still open a console on `applianceId`. */
export function mayKeepLink(creator: Principal | undefined, applianceId: string): boolean {
  return creator !== undefined && hasScope(creator, 'links:create') && canUseAppliance(creator, applianceId);
}
