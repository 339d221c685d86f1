import { z } from 'zod';
import { problemSchema } from '../../shared/api/schemas.js';
import { type RouteSpec, routeList } from '../routes.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    reused: 'inline',
  }) as JsonSchema;
  return rest;
};

const problemRef = { $ref: '#/components/schemas/Problem' };

function parameters(route: RouteSpec): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const shape = toSchema(schema, 'input') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(shape.properties ?? {})) {
      const { description, ...rest } = property;
      list.push({
        name,
        in: where,
        required: where === 'path' || (shape.required ?? []).includes(name),
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  return list;
}

function errorResponses(route: RouteSpec): Record<string, JsonSchema> {
  const codes = ['400', '500'];
  if (route.scope) codes.push('401', '403');
  // Clients over their limit; on /launch, an address after repeated unknown links (HEAD counts nothing).
  if (route.scope || route.function === 'launch') codes.push('429');
  if (route.params) codes.push('404');
  // Every route but liveness and this document reads the state store, which may be unavailable.
  if (route.function !== 'health' && route.function !== 'openapi') codes.push('503');
  if (route.path.startsWith('/v1/appliances') || route.path.startsWith('/v1/links') || route.html) {
    codes.push('502', '504');
  }
  if (route.body) codes.push('413', '415');
  const out: Record<string, JsonSchema> = {};
  for (const code of codes.sort()) {
    out[code] = route.html
      ? { description: 'An HTML page for a person', content: { 'text/html': { schema: { type: 'string' } } } }
      : { description: 'Problem details', content: { 'application/problem+json': { schema: problemRef } } };
  }
  return out;
}

function operation(name: string, route: RouteSpec): JsonSchema {
  const responses: Record<string, JsonSchema> = errorResponses(route);
  for (const response of route.responses) {
    const contentType = response.contentType ?? 'application/json';
    responses[String(response.status)] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([h, d]) => [
                h,
                { description: d, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(response.schema
        ? { content: { [contentType]: { schema: toSchema(response.schema, 'output') } } }
        : response.status === 200 && route.method !== 'HEAD'
          ? { content: { [contentType]: { schema: { type: 'object' } } } }
          : {}),
    };
  }
  return {
    operationId: name,
    summary: route.summary,
    ...(route.scope ? { security: [{ apiKey: [] }], 'x-required-scope': route.scope } : { security: [] }),
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every route in the route table. */
export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const names = new Map(routeList.map((route) => [route, route.function]));
  for (const route of routeList) {
    paths[route.path] ??= {};
    const entry = paths[route.path] as Record<string, JsonSchema>;
    entry[route.method.toLowerCase()] = operation(
      `${names.get(route)}${route.method === 'HEAD' ? 'Head' : ''}`,
      route,
    );
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Console Launch Broker',
      version: '1.0.0',
      description:
        'One-click remote console launches (KVM, serial, VM) for Vertiv Avocent DSView appliances. ' +
        'Errors are RFC 9457 problem details whose `type` tells the cases apart.',
    },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key>' },
      },
      schemas: { Problem: toSchema(problemSchema, 'output') },
    },
  };
}
