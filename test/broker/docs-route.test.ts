import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** `GET /docs` and its files are routes of the broker (the page itself renders in docs-browser.test.ts). */

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

describe('GET /docs', () => {
  it('serves the page and its own files without a key, and nothing else under /docs', async () => {
    const page = await t.call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    for (const [file, type] of [
      ['swagger-ui-bundle.js', 'text/javascript'],
      ['swagger-ui.css', 'text/css'],
      ['start.js', 'text/javascript'],
    ]) {
      const answer = await t.call('GET', `/docs/${file}`);
      expect(answer.status, file).toBe(200);
      expect(answer.headers['content-type'], file).toContain(type);
    }
    expect((await t.call('GET', '/docs/package.json')).status).toBe(404);
    expect((await t.call('GET', '/docs/..%2Fpackage.json')).status).toBe(404);
  });

  it('is linked from the home page', async () => {
    const home = await t.call('GET', '/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('href="/docs"');
  });
});
