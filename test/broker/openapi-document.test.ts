import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument, SchemaCollector } from '../../functions/lib/openapi.js';

/** `GET /openapi.json` must load in standard tools: checked by an OpenAPI 3.1 validator that is not our code. */

function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsIn(item, found);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsIn(value, found);
    }
  }
  return found;
}

const hasDefs = (node: unknown): boolean => JSON.stringify(node).includes('"$defs"');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(buildOpenApiDocument()));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('keeps every named schema in components.schemas and refers to it there', () => {
    const document = buildOpenApiDocument() as { components: { schemas: Record<string, unknown> } };
    expect(hasDefs(document)).toBe(false);
    const refs = new Set(refsIn(document));
    expect(refs.size).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas).toHaveProperty(ref.slice('#/components/schemas/'.length));
    }
    for (const id of ['Problem', 'Device', 'InventoryDevice', 'AuditEvent']) {
      expect(document.components.schemas, id).toHaveProperty(id);
    }
  });

  it('hoists any id, also ids nested in a union (the shape of per-provider schemas)', () => {
    const a = z.object({ kind: z.literal('a') }).meta({ id: 'ProviderA' });
    const b = z.object({ kind: z.literal('b'), inner: a }).meta({ id: 'ProviderB' });
    const collector = new SchemaCollector();
    const converted = collector.convert(z.object({ either: z.union([a, b]) }), 'output');
    expect(hasDefs(converted)).toBe(false);
    expect(refsIn(converted).sort()).toEqual([
      '#/components/schemas/ProviderA',
      '#/components/schemas/ProviderB',
    ]);
    expect(Object.keys(collector.components).sort()).toEqual(['ProviderA', 'ProviderB']);
    expect(refsIn(collector.components.ProviderB)).toEqual(['#/components/schemas/ProviderA']);
  });

  it('refuses one id that converts to two shapes rather than keep either silently', () => {
    const collector = new SchemaCollector();
    collector.convert(z.object({ x: z.string() }).meta({ id: 'Twice' }), 'output');
    expect(() => collector.convert(z.object({ y: z.number() }).meta({ id: 'Twice' }), 'output')).toThrow(
      /"Twice"/,
    );
  });
});
