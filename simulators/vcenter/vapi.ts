/**
 * The vSphere Automation (vAPI) wire shapes: `/api` answers bare values and a flat error envelope, `/rest`
 * wraps values in `{"value": ...}` and errors in `{"type": "com.vmware.vapi.std.errors.<kind>", "value": ...}`.
 */
import { Rejection, type Reply } from '../common/http.js';

export { Rejection, type Reply } from '../common/http.js';

/** The URL family a request arrived on; it decides how answers are wrapped. */
export type Family = 'api' | 'rest';

/** The vAPI standard errors the simulator raises, with the HTTP status real vCenter sends for each. */
export const ERROR_STATUS = {
  ERROR: 500,
  INVALID_ARGUMENT: 400,
  NOT_ALLOWED_IN_CURRENT_STATE: 400,
  NOT_FOUND: 404,
  RESOURCE_INACCESSIBLE: 500,
  SERVICE_UNAVAILABLE: 503,
  UNABLE_TO_ALLOCATE_RESOURCE: 400,
  UNAUTHENTICATED: 401,
  UNAUTHORIZED: 403,
} as const;
export type ErrorType = keyof typeof ERROR_STATUS;

export interface Message {
  id: string;
  default_message: string;
  args: string[];
}

export const CHALLENGE = 'Basic realm="vCenter"';

export const AUTHENTICATION_REQUIRED: Message = {
  id: 'com.vmware.vapi.endpoint.method.authentication.required',
  default_message: 'Authentication required.',
  args: [],
};

export function json(status: number, value: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** A success answer: the bare value on `/api`, `{"value": ...}` on `/rest`. */
export function ok(family: Family, status: number, value: unknown): Reply {
  return json(status, family === 'api' ? value : { value });
}

/** A vAPI error in the family's shape; `challenge` appears on UNAUTHENTICATED only, as vCenter sends it. */
export function vapiError(family: Family, type: ErrorType, message: Message, status?: number): Reply {
  const code = status ?? ERROR_STATUS[type];
  if (family === 'rest') {
    return json(code, {
      type: `com.vmware.vapi.std.errors.${type.toLowerCase()}`,
      value: { messages: [message] },
    });
  }
  const envelope: Record<string, unknown> = { error_type: type, messages: [message], data: null };
  if (type === 'UNAUTHENTICATED') envelope['challenge'] = CHALLENGE;
  return json(code, envelope);
}

export function unauthenticated(family: Family): Rejection {
  return new Rejection(vapiError(family, 'UNAUTHENTICATED', AUTHENTICATION_REQUIRED));
}

export function message(id: string, defaultMessage: string, ...args: string[]): Message {
  return { id, default_message: defaultMessage, args };
}

/** The error type a bare injected status stands for, so an injected 503 reads like a real one. */
export function errorTypeForStatus(status: number): ErrorType {
  const byStatus: Record<number, ErrorType> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'UNAUTHORIZED',
    404: 'NOT_FOUND',
    503: 'SERVICE_UNAVAILABLE',
  };
  return byStatus[status] ?? 'ERROR';
}
