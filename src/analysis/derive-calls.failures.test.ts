/** Failed calls, failure reasons, failure rules and stack traces of `deriveCalls` (DESIGN.md §2). */
import { describe, expect, it } from 'vitest';
import { derive, only } from './testing/derive-helpers.js';
import { client, internal, server, service, span, trace } from './testing/trace-builder.js';

describe('failed calls and failure reasons', () => {
  it('fails a call whose starting span has status ERROR', () => {
    const calls = derive(trace(internal('job', 'run', { status: 'error', message: 'disk full' })));
    expect(calls[0]).toMatchObject({ failed: true, failureReason: 'disk full' });
  });

  it('fails an HTTP server span with status UNSET and HTTP status ≥ 500, and reports the status code', () => {
    const calls = derive(trace(server('api', 'GET /', { http: 503 })));
    expect(calls[0]).toMatchObject({ failed: true, failureReason: '503' });
  });

  it('does not fail on HTTP ≥ 500 when the status is OK, or when the starting span is not a SERVER span', () => {
    const calls = derive(trace(server('api', 'GET /a', { http: 500, status: 'ok' }), internal('worker', 'poll', { http: 500 })));
    expect(calls.map((call) => call.failed)).toEqual([false, false]);
  });

  it('does not fail on HTTP 4xx by default, nor on errors inside the call that the starting span did not report', () => {
    const calls = derive(trace(server('api', 'GET /a', { http: 404 }, internal('api', 'lookup', { status: 'error' }))));
    expect(calls[0]).toMatchObject({ failed: false, failureReason: null });
  });

  it('fails a synthetic call whose client span has status ERROR or HTTP ≥ 500', () => {
    const calls = derive(
      trace(
        server(
          'api',
          'GET /',
          client('api', 'q1', { status: 'error', semantics: { dbSystem: 'pg', dbNamespace: 'a' } }),
          client('api', 'q2', { http: 502, status: 'ok', semantics: { peerService: 'b' } }),
          client('api', 'q3', { http: 404, semantics: { peerService: 'c' } }),
        ),
      ),
    );
    expect(calls.filter((call) => call.synthetic).map((call) => [call.service, call.failed, call.failureReason])).toEqual([
      ['a', true, 'error'],
      ['b', true, '502'],
      ['c', false, null],
    ]);
    expect(only(calls, 'api').failed).toBe(false);
  });

  it('gives as reason the status message, else the first exception "type: message", else the HTTP status, else "error"', () => {
    const exception = { exceptionType: 'TimeoutError', exceptionMessage: 'upstream took 30s' };
    const calls = derive(
      trace(
        server('a', 'r', { status: 'error', message: 'boom', http: 500, semantics: exception }),
        server('b', 'r', { status: 'error', http: 500 }, internal('b', 'inner', { semantics: exception })),
        server('c', 'r', { status: 'error', http: 500 }),
        server('d', 'r', { status: 'error' }),
        server('e', 'r', { status: 'error', semantics: { exceptionMessage: 'only a message' } }),
      ),
    );
    expect(calls.map((call) => call.failureReason)).toEqual(['boom', 'TimeoutError: upstream took 30s', '500', 'error', 'only a message']);
  });

  it('takes the first exception of the call by span start, not one of a nested call', () => {
    const spans = [
      span('a', 'server', 'r', { id: 'root', status: 'error' }),
      span('b', 'server', 'nested', { id: 'n', parent: 'root', startMs: 1, semantics: { exceptionType: 'Nested' } }),
      span('a', 'internal', 'late', { id: 'late', parent: 'root', startMs: 9, semantics: { exceptionType: 'Late' } }),
      span('a', 'internal', 'early', { id: 'early', parent: 'root', startMs: 2, semantics: { exceptionType: 'Early' } }),
    ];
    expect(only(derive(spans), 'a').failureReason).toBe('Early');
  });
});

describe('failure rules', () => {
  const spans = trace(server('x', 'GET /item', { http: 404 }), server('y', 'GET /item', { http: 404 }), server('x', 'GET /gone', { http: 500 }));

  it('adds a failure: 404 fails for service x only', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [404], failed: true }] });
    expect(calls.map((call) => [call.service, call.request, call.failed, call.failureReason])).toEqual([
      ['x', 'GET /item', true, '404'],
      ['y', 'GET /item', false, null],
      ['x', 'GET /gone', true, '500'],
    ]);
  });

  it('removes a failure: 500 is not a failure for x', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [500], failed: false }] });
    expect(calls.map((call) => call.failed)).toEqual([false, false, false]);
  });

  it('matches on request name, and without service on every service', () => {
    const calls = derive(spans, { failureRules: [{ request: 'GET /item', httpStatusCodes: [404], failed: true }] });
    expect(calls.map((call) => call.failed)).toEqual([true, true, true]);
  });

  it('lets the first matching rule decide', () => {
    const calls = derive(spans, {
      failureRules: [
        { service: 'y', httpStatusCodes: [404], failed: false },
        { httpStatusCodes: [404], failed: true },
      ],
    });
    expect(calls.map((call) => call.failed)).toEqual([true, false, true]);
  });

  it('reads an empty httpStatusCodes as "any status"', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [], failed: false }] });
    expect(calls.map((call) => call.failed)).toEqual([false, false, false]);
  });

  it('applies to synthetic calls by callee name and client span name', () => {
    const calls = derive(trace(server('a', 'r', client('a', 'GET /v1/charge', { http: 429, semantics: { peerService: 'stripe' } }))), {
      failureRules: [{ service: 'stripe', request: 'GET /v1/charge', httpStatusCodes: [429], failed: true }],
    });
    expect(only(calls, 'stripe')).toMatchObject({ failed: true, failureReason: '429' });
  });
});

describe('stack traces', () => {
  it('lists the stack traces of every span of the call in start order, and none of nested calls', () => {
    const spans = [
      span('a', 'server', 'r', { id: 'root', semantics: { stackTraces: ['at root'] } }),
      span('a', 'internal', 'second', { id: 's2', parent: 'root', startMs: 5, semantics: { stackTraces: ['at s2 (1)', 'at s2 (2)'] } }),
      span('a', 'internal', 'first', { id: 's1', parent: 'root', startMs: 3, semantics: { stackTraces: ['at s1'] } }),
      span('b', 'server', 'nested', { id: 'n', parent: 's1', startMs: 4, semantics: { stackTraces: ['at nested'] } }),
    ];
    const calls = derive(spans);
    expect(only(calls, 'a').stackTraces).toEqual(['at root', 'at s1', 'at s2 (1)', 'at s2 (2)']);
    expect(only(calls, 'b').stackTraces).toEqual(['at nested']);
  });

  it('gives a synthetic call the stack traces and exception of its client span', () => {
    const calls = derive(
      trace(
        server(
          'a',
          'r',
          client('a', 'SELECT', {
            status: 'error',
            semantics: { dbSystem: 'pg', exceptionType: 'PgError', exceptionMessage: 'deadlock', stackTraces: ['at query'] },
          }),
        ),
      ),
    );
    expect(only(calls, 'pg')).toMatchObject({ failureReason: 'PgError: deadlock', stackTraces: ['at query'] });
    expect(only(calls, 'a').stackTraces).toEqual(['at query']);
  });
});
