import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/lib/openapi.js';
import { routeList } from '../../functions/routes.js';

/** The OpenAPI document promises every status a route can answer (what each means is in the README). */
const document = buildOpenApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};
const statusesOf = (method: string, path: string) =>
  Object.keys(document.paths[path]?.[method.toLowerCase()]?.responses ?? {});

describe('documented statuses', () => {
  it('every route that reads the state store documents 503; liveness, the home page, the document itself and its rendering do not', () => {
    for (const route of routeList) {
      const statuses = statusesOf(route.method, route.path);
      const readsStore = !['health', 'home', 'openapi', 'docs'].includes(route.function);
      expect(statuses.includes('503'), `${route.method} ${route.path}`).toBe(readsStore);
    }
  });

  it('429 is documented for every keyed route and for the click, not for HEAD', () => {
    for (const route of routeList.filter((r) => r.scope)) {
      expect(statusesOf(route.method, route.path), `${route.method} ${route.path}`).toContain('429');
    }
    expect(statusesOf('GET', '/launch/{token}')).toContain('429');
    expect(statusesOf('HEAD', '/launch/{token}')).not.toContain('429');
  });

  it('a link that expired or was used is 410 on every /launch method; naming an unknown appliance in a body or a query is 404', () => {
    for (const method of ['GET', 'HEAD', 'POST'])
      expect(statusesOf(method, '/launch/{token}')).toContain('410');
    expect(statusesOf('POST', '/v1/links')).toContain('404');
    expect(statusesOf('GET', '/v1/devices')).toContain('404');
  });

  it('every documented answer that has a body names its content type', () => {
    const withoutBody = new Set(['204', '302', '303']);
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, { responses }] of Object.entries(methods)) {
        if (method === 'head') continue;
        for (const [status, response] of Object.entries(responses)) {
          if (withoutBody.has(status)) continue;
          expect((response as { content?: unknown }).content, `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
  });

  it('a console ticket requires its launch URL and expiry; a Password Safe session ticket its host and port', () => {
    const schemas = (
      buildOpenApiDocument() as { components: { schemas: Record<string, { required?: string[] }> } }
    ).components.schemas;
    expect(schemas.ConsoleTicket?.required).toEqual(
      expect.arrayContaining(['ticket', 'launchUrl', 'expiresAt']),
    );
    expect(schemas.SessionTicket?.required).toEqual(expect.arrayContaining(['ticket', 'host', 'port']));
  });
});
