import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler, homeLinks } from '../../functions/home.js';
import type { RouteSpec } from '../../functions/routes.js';

const get = (path: string) =>
  ({ method: 'GET', path, function: 'x', summary: '', responses: [] }) as RouteSpec;

describe('GET /', () => {
  it('answers a person with a page naming the product and linking the interface', async () => {
    const result = (await handler(
      { rawPath: '/', requestContext: { http: { method: 'GET' } }, headers: {} } as never,
      { functionName: 'home', awsRequestId: 'r' } as Context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^text\/html/);
    expect(result.body).toContain('<title>Console Launch Broker</title>');
    expect(result.body).toContain('href="/openapi.json"');
    expect(result.body).toContain('href="/health"');
  });

  it('links the docs page only when the route table has one', () => {
    expect(homeLinks([get('/openapi.json'), get('/health')]).map((link) => link.href)).toEqual([
      '/openapi.json',
      '/health',
    ]);
    expect(homeLinks([get('/docs'), get('/openapi.json')]).map((link) => link.href)).toEqual([
      '/docs',
      '/openapi.json',
    ]);
  });
});
