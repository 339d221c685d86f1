import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Principal } from '../../shared/auth/principal.js';

/** What the REQUEST authorizer hands every protected route (strings: HTTP API context values are flat). */
export interface AuthorizerContext {
  clientId: string;
  /** Space-separated scopes. */
  scopes: string;
  /** Comma-separated appliance ids or `*`. */
  appliances: string;
}

/** An API Gateway HTTP API (payload 2.0) event as our routes receive it. */
export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext | undefined>;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** The Lambda context plus what the middlewares established for the handler. */
export interface RouteContext<TInput = unknown> extends Context {
  principal?: Principal;
  input: TInput;
}

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** Turns the authorizer's flat context back into a principal. */
export function principalFromContext(context: AuthorizerContext): Principal {
  return {
    clientId: context.clientId,
    scopes: context.scopes.split(' ').filter(Boolean) as Principal['scopes'],
    appliances: context.appliances.split(',').filter(Boolean),
  };
}

/** Flattens a principal for the authorizer's response. */
export function principalToContext(principal: Principal): AuthorizerContext {
  return {
    clientId: principal.clientId,
    scopes: principal.scopes.join(' '),
    appliances: principal.appliances.join(','),
  };
}
