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
});
