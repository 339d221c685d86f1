import type { $ZodType } from 'zod/v4/core';
import { problemSchema } from '../../shared/api/schemas.js';
import { toJSONSchema } from '../../shared/zod.js';
import { type RouteSpec, routeList } from '../routes.js';

type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/**
 * Converts zod schemas to OpenAPI 3.1 schema objects. zod puts every schema with a meta `id` in the `$defs` of
 * the schema being converted and refers to it as `#/$defs/<id>`; inside an OpenAPI document that pointer means
 * the document root, where nothing is. So every such definition is hoisted into `components.schemas` and its
 * references rewritten, whatever the ids are.
 */
export class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: $ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _ignored, ...rest } = toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      reused: 'inline',
    }) as JsonSchema;
    return this.hoist(rest) as JsonSchema;
  }

  private hoist(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((item) => this.hoist(item));
    if (typeof node !== 'object' || node === null) return node;
    const { $defs, ...rest } = node as JsonSchema;
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      this.define(id, this.hoist(definition) as JsonSchema);
    }
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(rest)) {
      out[key] =
        key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
          ? `${COMPONENTS}${value.slice('#/$defs/'.length)}`
          : this.hoist(value);
    }
    return out;
  }

  private define(id: string, definition: JsonSchema): void {
    const existing = this.components[id];
    // One id, two shapes (say an input schema with defaults and its output): a silent overwrite would lie.
    if (existing && JSON.stringify(existing) !== JSON.stringify(definition)) {
      throw new Error(`OpenAPI: schema id "${id}" converts to two different shapes`);
    }
    this.components[id] = definition;
  }
}

const problemRef = { $ref: `${COMPONENTS}Problem` };

function parameters(route: RouteSpec, schemas: SchemaCollector): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const shape = schemas.convert(schema, 'input') as {
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
  // Every route but liveness, the home page, this document and its rendering reads the state store, which may
  // be unavailable.
  const storeless = ['health', 'home', 'openapi', 'docs'].includes(route.function);
  if (!storeless) codes.push('503');
  if (
    route.path.startsWith('/v1/appliances') ||
    route.path.startsWith('/v1/links') ||
    (route.html && !storeless)
  ) {
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

function operation(name: string, route: RouteSpec, schemas: SchemaCollector): JsonSchema {
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
        ? { content: { [contentType]: { schema: schemas.convert(response.schema, 'output') } } }
        : response.contentType
          ? { content: { [contentType]: { schema: { type: 'string' } } } }
          : response.status === 200 && route.method !== 'HEAD'
            ? { content: { [contentType]: { schema: { type: 'object' } } } }
            : {}),
    };
  }
  return {
    operationId: name,
    summary: route.summary,
    ...(route.scope ? { security: [{ apiKey: [] }], 'x-required-scope': route.scope } : { security: [] }),
    parameters: parameters(route, schemas),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemas.convert(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every route in the route table. */
export function buildOpenApiDocument(): JsonSchema {
  const schemas = new SchemaCollector();
  // Every error response refers to Problem, which no route converts itself.
  schemas.convert(problemSchema, 'output');
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const names = new Map(routeList.map((route) => [route, route.function]));
  for (const route of routeList) {
    paths[route.path] ??= {};
    const entry = paths[route.path] as Record<string, JsonSchema>;
    entry[route.method.toLowerCase()] = operation(
      `${names.get(route)}${route.method === 'HEAD' ? 'Head' : ''}`,
      route,
      schemas,
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
      schemas: schemas.components,
    },
  };
}
