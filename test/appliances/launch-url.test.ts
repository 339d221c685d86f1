import { describe, expect, it } from 'vitest';
import { launchUrl } from '../../shared/appliances/dsview/launch-url.js';

const baseUrl = 'https://dsview01.example.net:8443';

describe('launchUrl', () => {
  it('builds the note’s launchUI URL with a ticket', () => {
    const url = new URL(launchUrl({ baseUrl, deviceId: 'dev-1', viewerType: 'KVM', ticket: 'tkt' }));
    expect(url.origin).toBe(baseUrl);
    expect(url.pathname).toBe('/api/v1/launchUI/');
    expect([...url.searchParams]).toEqual([
      ['launchType', 'viewer'],
      ['viewerType', 'KVM'],
      ['deviceId', 'dev-1'],
      ['ticket', 'tkt'],
    ]);
  });

  it('writes deviceId in camel case as the samples and the script do, never deviceid', () => {
    const url = launchUrl({ baseUrl, deviceId: 'abc', viewerType: 'SERIAL' });
    expect(url).toContain('deviceId=abc');
    expect(url).not.toContain('deviceid=');
    expect(new URL(url).searchParams.has('deviceid')).toBe(false);
  });

  it('adds sharingMode and mouseMode when given, mouseMode 0 included', () => {
    const url = new URL(
      launchUrl({
        baseUrl,
        deviceId: 'd',
        viewerType: 'KVM',
        ticket: 't',
        sharingMode: 'STEALTH',
        mouseMode: 0,
      }),
    );
    expect(url.searchParams.get('sharingMode')).toBe('STEALTH');
    expect(url.searchParams.get('mouseMode')).toBe('0');
    const two = new URL(
      launchUrl({
        baseUrl,
        deviceId: 'd',
        viewerType: 'KVM',
        sharingMode: 'STANDALONE_PASSIVE',
        mouseMode: 2,
      }),
    );
    expect(two.searchParams.get('sharingMode')).toBe('STANDALONE_PASSIVE');
    expect(two.searchParams.get('mouseMode')).toBe('2');
  });

  it('leaves out modes that are undefined', () => {
    const url = new URL(
      launchUrl({
        baseUrl,
        deviceId: 'd',
        viewerType: 'VM',
        ticket: 't',
        sharingMode: undefined,
        mouseMode: undefined,
      }),
    );
    expect([...url.searchParams.keys()]).toEqual(['launchType', 'viewerType', 'deviceId', 'ticket']);
  });

  it('without a ticket is the appliance’s login-then-launch URL', () => {
    const url = new URL(launchUrl({ baseUrl, deviceId: 'd', viewerType: 'SERIAL' }));
    expect(url.searchParams.has('ticket')).toBe(false);
    expect([...url.searchParams.keys()]).toEqual(['launchType', 'viewerType', 'deviceId']);
    const undefinedTicket = launchUrl({ baseUrl, deviceId: 'd', viewerType: 'SERIAL', ticket: undefined });
    expect(undefinedTicket).toBe(url.toString());
  });

  it('ignores any path, query or fragment on the base URL', () => {
    const url = new URL(
      launchUrl({ baseUrl: `${baseUrl}/some/path?x=1#frag`, deviceId: 'd', viewerType: 'KVM' }),
    );
    expect(url.origin).toBe(baseUrl);
    expect(url.pathname).toBe('/api/v1/launchUI/');
    expect(url.searchParams.has('x')).toBe(false);
    expect(url.hash).toBe('');
  });

  it.each([
    'a&ticket=stolen',
    'a&viewerType=VM',
    'a#fragment',
    'a?b=c',
    '../../../admin',
    '/\\evil.example.com',
    '@evil.example.com',
    'https://evil.example.com/',
    '//evil.example.com',
    'a b+c%20d',
    'id\r\nSet-Cookie: x=1',
    '<script>alert(1)</script>',
    'ü日本',
  ])('keeps deviceId %j encoded in its own parameter; host and path never change', (deviceId) => {
    const built = launchUrl({ baseUrl, deviceId, viewerType: 'KVM', ticket: 'real' });
    const url = new URL(built);
    expect(url.origin).toBe(baseUrl);
    expect(url.host).toBe('dsview01.example.net:8443');
    expect(url.pathname).toBe('/api/v1/launchUI/');
    expect(url.hash).toBe('');
    expect(url.searchParams.get('deviceId')).toBe(deviceId);
    expect(url.searchParams.getAll('deviceId')).toHaveLength(1);
    expect(url.searchParams.getAll('ticket')).toEqual(['real']);
    expect(url.searchParams.getAll('viewerType')).toEqual(['KVM']);
    expect(built).not.toMatch(/[\s<>#]/);
  });

  it('keeps a hostile ticket in its own parameter too', () => {
    const url = new URL(
      launchUrl({ baseUrl, deviceId: 'd', viewerType: 'KVM', ticket: 'x&deviceId=other#y' }),
    );
    expect(url.searchParams.getAll('deviceId')).toEqual(['d']);
    expect(url.searchParams.get('ticket')).toBe('x&deviceId=other#y');
    expect(url.hash).toBe('');
  });

  it('works with an IP base URL and the default port', () => {
    expect(launchUrl({ baseUrl: 'https://127.0.0.1', deviceId: 'd', viewerType: 'VM' })).toBe(
      'https://127.0.0.1/api/v1/launchUI/?launchType=viewer&viewerType=VM&deviceId=d',
    );
  });
});
