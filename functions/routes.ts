import * as api from '../shared/api/schemas.js';
import type { Scope } from '../shared/auth/principal.js';
import * as z from '../shared/zod.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'HEAD';

export interface ResponseSpec {
  status: number;
  description: string;
  schema?: z.ZodMiniType;
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
  params?: z.ZodMiniObject;
  query?: z.ZodMiniObject;
  body?: z.ZodMiniType;
  responses: ResponseSpec[];
  /** Routes that answer people (HTML) rather than programs. */
  html?: boolean;
}

// One route of the contract per export; `routeList` (at the end) lists them all.

export const home = {
  method: 'GET',
  path: '/',
  function: 'home',
  summary: 'A page for a person: what this is, with links to the interface description and health',
  html: true,
  responses: [{ status: 200, description: 'HTML page', contentType: 'text/html' }],
} satisfies RouteSpec;

export const health = {
  method: 'GET',
  path: '/health',
  function: 'health',
  summary: 'Liveness check',
  responses: [{ status: 200, description: 'The broker is up', schema: api.healthResponse }],
} satisfies RouteSpec;

export const openapi = {
  method: 'GET',
  path: '/openapi.json',
  function: 'openapi',
  summary: 'This OpenAPI 3.1 document',
  responses: [{ status: 200, description: 'OpenAPI document' }],
} satisfies RouteSpec;

export const docs = {
  method: 'GET',
  path: '/docs',
  function: 'docs',
  summary: 'This document rendered for a person (Swagger UI, served by the broker itself)',
  html: true,
  responses: [{ status: 200, description: 'HTML page', contentType: 'text/html' }],
} satisfies RouteSpec;

export const docsAsset = {
  method: 'GET',
  path: '/docs/{asset}',
  function: 'docs',
  summary: "The documentation page's own script and style files",
  params: z.object({
    asset: z.string().check(z.describe('swagger-ui-bundle.js, swagger-ui.css or start.js')),
  }),
  html: true,
  responses: [{ status: 200, description: 'A script or a style sheet', contentType: 'text/javascript' }],
} satisfies RouteSpec;

export const listAppliances = {
  method: 'GET',
  path: '/v1/appliances',
  function: 'appliances',
  summary: 'The console sources this client may use, with their kind and viewer types',
  scope: 'devices:read',
  responses: [{ status: 200, description: 'Appliances', schema: api.appliancesResponse }],
} satisfies RouteSpec;

export const login = {
  method: 'POST',
  path: '/v1/appliances/{applianceId}/login',
  function: 'login',
  summary: "Ensure the broker holds a session on the appliance (the session's secret is never returned)",
  scope: 'admin',
  params: api.applianceParams,
  responses: [{ status: 200, description: 'A valid appliance session exists', schema: api.loginResponse }],
} satisfies RouteSpec;

export const listDevices = {
  method: 'GET',
  path: '/v1/appliances/{applianceId}/devices',
  function: 'devices',
  summary: 'List devices live from the appliance',
  scope: 'devices:read',
  params: api.applianceParams,
  query: api.liveDevicesQuery,
  responses: [{ status: 200, description: 'Devices', schema: api.devicesResponse }],
} satisfies RouteSpec;

export const createTicket = {
  method: 'POST',
  path: '/v1/appliances/{applianceId}/devices/{deviceId}/tickets',
  function: 'ticket',
  summary: 'Mint a one-time console credential and its launch URL',
  scope: 'tickets:create',
  params: api.deviceParams,
  body: api.viewerRequestBody,
  responses: [
    {
      status: 201,
      description:
        'Issued. dsview, vcenter, dcv: {ticket, launchUrl, expiresAt}; password-safe: {launchUrl?, host, port, ticket, command?, rdpFile?}',
      schema: api.ticketResponse,
    },
    {
      status: 202,
      description: 'password-safe: the access request awaits approval; call again with the same body',
      schema: api.pendingResponse,
      headers: { 'retry-after': 'Seconds until asking again makes sense' },
    },
    {
      status: 409,
      description: 'The device cannot be opened now (powered off, not READY, denied)',
      schema: api.problemSchema,
      contentType: 'application/problem+json',
    },
  ],
} satisfies RouteSpec;

export const createLink = {
  method: 'POST',
  path: '/v1/links',
  function: 'links-create',
  summary: 'Create a one-click launch link (validated now, a fresh ticket minted at each click)',
  scope: 'links:create',
  body: api.createLinkBody,
  responses: [
    { status: 201, description: 'Link created; the URL is shown only here', schema: api.linkResponse },
    {
      status: 404,
      description: 'The appliance or the device is not known (appliance-not-found, device-not-found)',
      schema: api.problemSchema,
      contentType: 'application/problem+json',
    },
  ],
} satisfies RouteSpec;

export const revokeLink = {
  method: 'DELETE',
  path: '/v1/links/{id}',
  function: 'links-revoke',
  summary: 'Revoke a link; the next click answers 404',
  scope: 'links:create',
  params: api.linkParams,
  responses: [{ status: 204, description: 'Revoked' }],
} satisfies RouteSpec;

export const revokeLinks = {
  method: 'DELETE',
  path: '/v1/links',
  function: 'links-revoke',
  summary:
    "Revoke every live link a client created (on appliances of the admin's allow-list); their next click answers 404",
  scope: 'admin',
  query: api.revokeLinksQuery,
  responses: [{ status: 200, description: 'How many were revoked', schema: api.revokeLinksResponse }],
} satisfies RouteSpec;

export const listLinks = {
  method: 'GET',
  path: '/v1/links',
  function: 'links-list',
  summary:
    "Live links without their tokens: the caller's own, or for an admin any client's (createdBy) within its allow-list",
  scope: 'links:create',
  query: api.linksQuery,
  responses: [{ status: 200, description: 'Live links', schema: api.linksResponse }],
} satisfies RouteSpec;

export const launch = {
  method: 'GET',
  path: '/launch/{token}',
  function: 'launch',
  summary: 'Open the console: mint a fresh credential and answer with the viewer',
  params: api.launchParams,
  html: true,
  responses: [
    {
      status: 302,
      description:
        'Redirect to the viewer with a credential minted for this click (dsview launchUI, vcenter VMRC, dcv)',
      headers: { location: 'The viewer URL' },
    },
    {
      status: 200,
      description:
        'A console page (vcenter WEBMKS, password-safe SSH) or a file (password-safe RDP, application/x-rdp); for a confirm link (confirm: true, or LINK_CONFIRM_DEFAULT) a page naming what opens with an "Open console" button that POSTs here, and nothing is used up',
      contentType: 'text/html',
    },
    {
      status: 202,
      description: 'password-safe: waiting for approval (Refresh, Retry-After); nothing is used up',
      contentType: 'text/html',
    },
    { status: 409, description: 'The device cannot be opened now', contentType: 'text/html' },
    { status: 410, description: 'The link expired or was used up', contentType: 'text/html' },
  ],
} satisfies RouteSpec;

export const launchConfirm = {
  method: 'POST',
  path: '/launch/{token}',
  function: 'launch',
  summary:
    "A confirm link's button: claim the link and open the console (the page's form field is required; a POST without it shows the page again)",
  params: api.launchParams,
  html: true,
  responses: [
    {
      status: 303,
      description: 'See the viewer, with a credential minted for this click',
      headers: { location: 'The viewer URL' },
    },
    {
      status: 200,
      description:
        'A console page or file, as for GET; or the confirm page again (stale or missing form field)',
      contentType: 'text/html',
    },
    { status: 202, description: 'password-safe: waiting for approval', contentType: 'text/html' },
    { status: 409, description: 'The device cannot be opened now', contentType: 'text/html' },
    { status: 410, description: 'The link expired or was used up', contentType: 'text/html' },
  ],
} satisfies RouteSpec;

export const launchHead = {
  method: 'HEAD',
  path: '/launch/{token}',
  function: 'launch-head',
  summary: 'Check a link without using it (mail scanners, previewers)',
  params: api.launchParams,
  html: true,
  responses: [
    { status: 204, description: 'The link is live' },
    { status: 410, description: 'The link expired or was used up' },
  ],
} satisfies RouteSpec;

export const audit = {
  method: 'GET',
  path: '/v1/audit',
  function: 'audit',
  summary: 'Launch audit events, newest first',
  scope: 'admin',
  query: api.auditQuery,
  responses: [{ status: 200, description: 'Audit events', schema: api.auditResponse }],
} satisfies RouteSpec;

export const searchDevices = {
  method: 'GET',
  path: '/v1/devices',
  function: 'inventory-search',
  summary: 'Search the synced device inventory across appliances',
  scope: 'devices:read',
  query: api.inventoryQuery,
  responses: [
    {
      status: 200,
      description: 'Matching devices, ordered by appliance and name',
      schema: api.inventoryResponse,
    },
    {
      status: 404,
      description: 'applianceId names an appliance that is not registered',
      schema: api.problemSchema,
      contentType: 'application/problem+json',
    },
  ],
} satisfies RouteSpec;

export const syncInventory = {
  method: 'POST',
  path: '/v1/inventory/sync',
  function: 'inventory-sync',
  summary: 'Sync the inventory from every appliance now',
  scope: 'admin',
  responses: [{ status: 200, description: 'Per-appliance results', schema: api.syncResponse }],
} satisfies RouteSpec;

/**
 * Every route of the contract. The local server, the CDK stack and the OpenAPI document all read this list.
 * Each route is its own export so that a function's bundle keeps only the routes it serves (a handler imports
 * them as a namespace, `routes.createTicket`, which esbuild resolves to the one constant).
 */
export const routeList: RouteSpec[] = [
  home,
  health,
  openapi,
  docs,
  docsAsset,
  listAppliances,
  login,
  listDevices,
  createTicket,
  createLink,
  revokeLink,
  revokeLinks,
  listLinks,
  launch,
  launchConfirm,
  launchHead,
  audit,
  searchDevices,
  syncInventory,
];
