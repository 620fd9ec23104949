/** Referring pages and proxies on a call's path (DESIGN.md §2). */
import { describe, expect, it } from 'vitest';
import { derive, only } from './testing/derive-helpers.js';
import { browserApp, client, internal, server, service, trace, unkinded } from './testing/trace-builder.js';

describe('referring page', () => {
  it('takes http.request.header.referer of the first service call of the path', () => {
    const calls = derive(
      trace(
        server('frontend', 'GET /cart', { semantics: { referer: 'https://shop.example/home' } },
          client('frontend', 'GET /price', server('pricing', 'GET /price', { semantics: { referer: 'https://internal/' } }))),
      ),
    );
    expect(calls.map((call) => call.referringPage)).toEqual(['https://shop.example/home', 'https://shop.example/home']);
  });

  it('falls back to the page URL of the browser user action at the root of the path', () => {
    const app = browserApp('shop-web');
    const calls = derive(
      trace(unkinded(app, 'click', { semantics: { url: 'https://shop.example/cart' } }, client(app, 'HTTP GET', server('frontend', 'GET /api/cart')))),
    );
    expect(calls.map((call) => [call.service, call.referringPage])).toEqual([
      ['shop-web', 'https://shop.example/cart'],
      ['frontend', 'https://shop.example/cart'],
    ]);
  });

  it('keeps the first service call first when an application call comes later on the path', () => {
    const app = browserApp('embedded-widget');
    const calls = derive(
      trace(
        server('portal', 'GET /', { semantics: { referer: 'https://portal.example/' } },
          unkinded(app, 'render', client(app, 'HTTP GET', server('api', 'GET /data', { semantics: { referer: 'https://widget.example/' } })))),
      ),
    );
    expect(only(calls, 'api').referringPage).toBe('https://portal.example/');
  });

  it('is null without either, and ignores referers of later service calls', () => {
    const calls = derive(trace(server('a', 'r', client('a', 'c', server('b', 'r', { semantics: { referer: 'https://late/' } })))));
    expect(calls.map((call) => call.referringPage)).toEqual([null, null]);
  });
});

describe('proxies', () => {
  it('lists configured proxy services on the path, in the order the request passed them', () => {
    const edge = service('edge', {}, true);
    const mesh = service('mesh', {}, true);
    const calls = derive(trace(server(edge, 'GET /', client(edge, 'fwd', server(mesh, 'GET /', client(mesh, 'fwd', server('api', 'GET /')))))));
    expect(calls.map((call) => [call.service, call.proxies])).toEqual([
      ['edge', []],
      ['mesh', ['edge']],
      ['api', ['edge', 'mesh']],
    ]);
  });

  it("recognises proxies by Envoy's upstream_cluster and by component = proxy", () => {
    const calls = derive(
      trace(
        server('envoy', 'ingress', { semantics: { upstreamCluster: 'outbound|80||api' } },
          client('envoy', 'egress', server('gateway', 'GET /', { semantics: { component: 'proxy' } }, client('gateway', 'fwd', server('api', 'GET /'))))),
      ),
    );
    expect(only(calls, 'api').proxies).toEqual(['envoy', 'gateway']);
  });

  it('adds the proxies x-forwarded-for and via name on entry spans (not the client address)', () => {
    const calls = derive(
      trace(server('api', 'GET /', { semantics: { forwardedFor: '203.0.113.7, 10.0.0.2, 10.0.0.3', via: '1.1 vegur, HTTP/1.1 cache-1 (squid)' } })),
    );
    expect(calls[0]!.proxies).toEqual(['10.0.0.2', '10.0.0.3', 'vegur', 'cache-1']);
  });

  it('hands proxies down to synthetic calls', () => {
    const calls = derive(trace(server(service('lb', {}, true), 'GET /', client('lb', 'fwd', { semantics: { serverAddress: 'legacy.example' } }))));
    expect(only(calls, 'legacy.example').proxies).toEqual(['lb']);
  });
});
