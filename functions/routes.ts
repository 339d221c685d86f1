import type { z } from 'zod';
import * as api from '../shared/api/schemas.js';
import type { Scope } from '../shared/auth/principal.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'HEAD';

export interface ResponseSpec {
  status: number;
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json; problem responses are added by the OpenAPI builder. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** One route of the public contract: where it lives, who may call it, what it accepts and answers. */
export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway route syntax: `/v1/appliances/{applianceId}/devices`. */
  path: string;
  /** The Lambda that serves it: `functions/<function>.ts`. */
  function: string;
  summary: string;
  /** Required scope; routes without one need no API key. */
  scope?: Scope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: ResponseSpec[];
  /** Routes that answer people (HTML) rather than programs. */
  html?: boolean;
}

/** Every route of the contract. The local server, the CDK stack and the OpenAPI document all read this table. */
export const routes = {
  health: {
    method: 'GET',
    path: '/health',
    function: 'health',
    summary: 'Liveness check',
    responses: [{ status: 200, description: 'The broker is up', schema: api.healthResponse }],
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    function: 'openapi',
    summary: 'This OpenAPI 3.1 document',
    responses: [{ status: 200, description: 'OpenAPI document' }],
  },
  login: {
    method: 'POST',
    path: '/v1/appliances/{applianceId}/login',
    function: 'login',
    summary: 'Ensure the broker holds a session on the appliance (the JWT is never returned)',
    scope: 'admin',
    params: api.applianceParams,
    responses: [{ status: 200, description: 'A valid appliance session exists', schema: api.loginResponse }],
  },
  listDevices: {
    method: 'GET',
    path: '/v1/appliances/{applianceId}/devices',
    function: 'devices',
    summary: 'List devices live from the appliance',
    scope: 'devices:read',
    params: api.applianceParams,
    query: api.liveDevicesQuery,
    responses: [{ status: 200, description: 'Devices', schema: api.devicesResponse }],
  },
  createTicket: {
    method: 'POST',
    path: '/v1/appliances/{applianceId}/devices/{deviceId}/tickets',
    function: 'ticket',
    summary: 'Mint a one-time viewer ticket (20 s) and its launch URL',
    scope: 'tickets:create',
    params: api.deviceParams,
    body: api.viewerRequestBody,
    responses: [{ status: 201, description: 'Ticket minted', schema: api.ticketResponse }],
  },
} satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

/** All routes as a list. */
export const routeList: RouteSpec[] = Object.values(routes);
