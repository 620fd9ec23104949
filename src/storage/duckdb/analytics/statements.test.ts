/**
 * The analytics statements as text: user values never appear in them (they are bound `$n`
 * parameters, one per value), and the SQL of each analysis is pinned by a snapshot, so a change
 * to a statement shows up in review. (Whether the statements answer correctly is the business of
 * the differential tests in test/analysis.)
 */
import { describe, expect, it } from 'vitest';
import type { FocalFilter } from '../../api/call-queries.js';
import { backtraceGroupsSql } from './backtrace.js';
import { backtraceDetailsSql } from './details.js';
import { failuresSql } from './failures.js';
import { flowGroupsSql } from './flow.js';
import { serviceNeighbourhoodSql } from './neighbourhood.js';
import { serviceKindsSql, serviceSummariesSql } from './services.js';
import type { Statement } from './statement.js';
import { findTracesSql } from './traces.js';

const HOSTILE = ["'; DROP TABLE calls; --", '.*', '%_', '${x}', 'a\\b', 'x" OR "1"="1'];
const WINDOW = { fromUnixNano: 1_767_225_600_000_000_000n, toUnixNano: 1_767_229_200_000_000_000n };

function hostileFilter(i: number): FocalFilter {
  const value = (j: number) => HOSTILE[(i + j) % HOSTILE.length]!;
  return {
    ...WINDOW,
    service: { kind: 'service', name: value(0) },
    request: value(1),
    chain: [{ name: value(2), kind: 'service', request: value(3) }, { name: value(4) }, { name: value(5), request: value(0) }],
  };
}

function statementsOf(filter: FocalFilter): [string, Statement][] {
  return [
    ['backtraceGroups', backtraceGroupsSql(filter)],
    ['backtraceDetails', backtraceDetailsSql(filter, [{ kind: 'unknown', name: filter.service.name }, { kind: 'service', name: filter.request ?? '' }], 5)],
    ['flowGroups', flowGroupsSql(filter)],
    ['flowGroups sized by a focal count', flowGroupsSql(filter, 5_000)],
    ['serviceNeighbourhood', serviceNeighbourhoodSql(filter)],
    ['failures', failuresSql(filter, 60_000_000_000n)],
    ['findTraces', findTracesSql({ ...filter, failedOnly: true, minDurationMs: 1, maxDurationMs: 2, zone: { resourceIds: ['00000000000000ff'] }, limit: 20 })],
    ['findTraces without service', findTracesSql({ ...WINDOW, chain: filter.chain ?? [], failedOnly: true, limit: 20 })],
    ['serviceSummaries', serviceSummariesSql(WINDOW, { resourceIds: ['00000000000000ff'] })],
    ['serviceSummaries without zone, whole minutes', serviceSummariesSql(WINDOW)],
    ['serviceSummaries without zone, minutes cut at both ends', serviceSummariesSql({ fromUnixNano: WINDOW.fromUnixNano + 1n, toUnixNano: WINDOW.toUnixNano + 1n })],
    ['serviceSummaries without zone, inside one minute', serviceSummariesSql({ fromUnixNano: WINDOW.fromUnixNano + 1n, toUnixNano: WINDOW.fromUnixNano + 2n })],
    ['serviceKinds', serviceKindsSql(filter.service.name)],
  ];
}

function placeholders(sql: string): number[] {
  return [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

describe('analytics statements', () => {
  it('carry every user value as a bound parameter, never in the text', () => {
    for (let i = 0; i < HOSTILE.length; i++) {
      for (const [name, statement] of statementsOf(hostileFilter(i))) {
        for (const value of HOSTILE) expect(statement.sql.includes(value), `${name} contains ${value}`).toBe(false);
        const used = placeholders(statement.sql);
        expect(used, name).toEqual(statement.params.values.map((_, j) => j + 1));
      }
    }
  });

  it('bind the hostile values themselves, unchanged', () => {
    const statement = backtraceGroupsSql(hostileFilter(0));
    for (const value of HOSTILE) expect(statement.params.values).toContain(value);
  });

  it('read as pinned (snapshot)', () => {
    const plain: FocalFilter = { ...WINDOW, service: { kind: 'service', name: 'checkout' } };
    const chained: FocalFilter = { ...plain, request: 'PlaceOrder', chain: [{ name: 'frontend' }, { name: 'checkout', kind: 'service' }] };
    const unknownChain: FocalFilter = { ...plain, chain: [{ name: 'unknown' }] };
    const text = (statements: [string, Statement][]) => Object.fromEntries(statements.map(([name, s]) => [name, s.sql]));
    expect({ plain: text(statementsOf(plain)), chained: text(statementsOf(chained)), unknownChain: backtraceGroupsSql(unknownChain).sql }).toMatchSnapshot();
  });
});
