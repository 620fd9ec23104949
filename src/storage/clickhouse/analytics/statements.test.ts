/**
 * The analytics statements as text. ClickHouse 18.16 has no query parameters, so values are
 * escaped into the SQL; these tests pin that this is safe: with hostile values in every filter
 * (quotes, backslashes, LIKE and regex metacharacters, `;--`, control characters, unicode), the
 * text *outside* string literals is exactly the text a benign filter of the same shape produces,
 * and the literals hold the hostile values unchanged. The SQL of each analysis is pinned by a
 * snapshot, so a change to a statement shows up in review. (Whether the statements answer
 * correctly is the business of the differential tests in test/analysis, on a real server.)
 */
import { describe, expect, it } from 'vitest';
import type { ChainStep, FocalFilter, TraceQuery } from '../../api/call-queries.js';
import { SINGLE_NODE_TABLES, clusterTables } from '../tables.js';
import { backtraceGroupsSql } from './backtrace.js';
import { backtraceDetailsSql } from './details.js';
import { bucketIndexSql, failuresSql } from './failures.js';
import { flowGroupsSql } from './flow.js';
import { serviceNeighbourhoodSql } from './neighbourhood.js';
import { serviceKindsSql, serviceSummariesSql } from './services.js';
import { listedDetailsSql, listTracesSql } from './traces.js';

const HOSTILE = ["'", '\\', '%', '_', ';--', "'; DROP TABLE calls; --", "\\'", "x' OR '1'='1", 'ü 𝄞 \u0000 \n\t\r \u007f é', '${x}', '.*'];
const WINDOW = { fromUnixNano: 1_767_225_600_000_000_000n, toUnixNano: 1_767_229_200_000_000_000n };
const RESOURCE = '00000000000000ff';

/** A filter whose every value is `value(j)`; the shape (which fields, chain length) is fixed. */
function filterOf(value: (j: number) => string): FocalFilter {
  const chain: ChainStep[] = [{ name: value(2), kind: 'service', request: value(3) }, { name: value(4) }, { name: value(5), request: value(6) }];
  return { ...WINDOW, service: { kind: 'service', name: value(0) }, request: value(1), chain };
}

/** Every statement of every analysis for `filter`, by name. */
function statementsOf(filter: FocalFilter, tables = SINGLE_NODE_TABLES): [string, string][] {
  const trace: TraceQuery = { ...filter, failedOnly: true, minDurationMs: 1, maxDurationMs: 2, zone: { resourceIds: [RESOURCE] }, limit: 20 };
  const named = (prefix: string, statements: object): [string, string][] =>
    Object.entries(statements)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, sql]) => [`${prefix}.${name}`, sql]);
  return [
    ['backtraceGroups', backtraceGroupsSql(tables, filter)],
    ...named('backtraceDetails root', backtraceDetailsSql(tables, filter, [], 5)),
    ...named('backtraceDetails node', backtraceDetailsSql(tables, filter, [{ kind: 'service', name: filter.service.name }, { kind: 'unknown', name: filter.request ?? '' }], 5)),
    ...named('flowGroups', flowGroupsSql(tables, filter)),
    ...named('serviceNeighbourhood', serviceNeighbourhoodSql(tables, filter)),
    ...named('failures', failuresSql(tables, filter, 60_000_000_000n)),
    ['findTraces', listTracesSql(tables, trace)],
    ['findTraces without service', listTracesSql(tables, { ...WINDOW, chain: filter.chain ?? [], failedOnly: true, limit: 20 })],
    ...named('findTraces listed', listedDetailsSql(tables, ['0123456789abcdef0123456789abcdef'])),
    ...named('serviceSummaries', serviceSummariesSql(tables, WINDOW, { resourceIds: [RESOURCE] })),
    ['serviceKinds', serviceKindsSql(tables, filter.service.name)],
  ];
}

/**
 * Splits `sql` by ClickHouse's lexer rules for quoted strings (a backslash escapes the next
 * character; `\xHH`, `\n`, `\t`, `\r`, `\0` name characters): the text with every literal
 * replaced by `?`, and the literals' values.
 */
function splitLiterals(sql: string): { skeleton: string; literals: string[] } {
  const named: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\u0007', v: '\v' };
  let skeleton = '';
  const literals: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] !== "'") {
      skeleton += sql[i];
      continue;
    }
    let value = '';
    for (i++; ; i++) {
      if (i >= sql.length) throw new Error(`unterminated literal in ${sql}`);
      const c = sql[i]!;
      if (c === "'") break;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const next = sql[++i]!;
      if (next === 'x') {
        value += String.fromCharCode(Number.parseInt(sql.slice(i + 1, i + 3), 16));
        i += 2;
      } else value += named[next] ?? next;
    }
    skeleton += '?';
    literals.push(value);
  }
  return { skeleton, literals };
}

describe('analytics statements', () => {
  it('keep hostile values inside their literals: the text outside is that of a benign filter', () => {
    const benign = statementsOf(filterOf((j) => `value${j}`));
    for (let i = 0; i < HOSTILE.length; i++) {
      const hostile = statementsOf(filterOf((j) => HOSTILE[(i + j) % HOSTILE.length]!));
      expect(hostile.map(([name]) => name)).toEqual(benign.map(([name]) => name));
      hostile.forEach(([name, sql], k) => {
        const expected = splitLiterals(benign[k]![1]);
        const actual = splitLiterals(sql);
        expect(actual.skeleton, name).toBe(expected.skeleton);
        expect(actual.literals.length, name).toBe(expected.literals.length);
      });
    }
  });

  it('carry the hostile values themselves, unchanged', () => {
    const filter = filterOf((j) => HOSTILE[j % HOSTILE.length]!);
    const literals = new Set(statementsOf(filter).flatMap(([, sql]) => splitLiterals(sql).literals));
    for (const value of HOSTILE.slice(0, 7)) expect(literals.has(value), JSON.stringify(value)).toBe(true);
  });

  it('refuse ids that are not ids instead of writing them into the SQL', () => {
    expect(() => serviceSummariesSql(SINGLE_NODE_TABLES, WINDOW, { resourceIds: ["1) OR (1=1"] })).toThrow(/malformed resource id/);
    expect(() => listedDetailsSql(SINGLE_NODE_TABLES, ["') OR 1=1 --"])).toThrow(/malformed trace id/);
  });

  it('read the shard-local tables in every subquery, the distributed ones only at the top', () => {
    const tables = clusterTables('c1', 'db');
    for (const [name, sql] of statementsOf(filterOf((j) => `value${j}`), tables)) {
      const reads = [...sql.matchAll(/FROM ([\w.]+)/g)].map((m) => m[1]!);
      expect(reads[0], name).toMatch(/^(calls|spans|resources)$/);
      // Every other table read (subqueries, the liveness filter) is a `*_local` one.
      expect(reads.slice(1).filter((t) => !/^db\.\w+_local$/.test(t)), name).toEqual([]);
      if (reads.length > 1) expect(reads.slice(1), name).toContain('db.superseded_calls_local');
    }
  });

  it('read as pinned (snapshot)', () => {
    const plain: FocalFilter = { ...WINDOW, service: { kind: 'service', name: 'checkout' } };
    const chained: FocalFilter = { ...plain, request: 'PlaceOrder', chain: [{ name: 'frontend' }, { name: 'checkout', kind: 'service' }] };
    const text = (statements: [string, string][]) => Object.fromEntries(statements);
    expect({
      plain: text(statementsOf(plain)),
      chained: text(statementsOf(chained)),
      unknownChain: backtraceGroupsSql(SINGLE_NODE_TABLES, { ...plain, chain: [{ name: 'unknown' }] }),
    }).toMatchSnapshot();
  });
});

describe('bucketIndexSql', () => {
  it('counts from `from` when it fits Int64', () => {
    const { sql, first } = bucketIndexSql('c', WINDOW.fromUnixNano, 60_000_000_000n);
    expect(first).toBe(0n);
    expect(sql).toContain(`toInt64(${WINDOW.fromUnixNano})`);
  });

  it('counts from the first bucket start inside Int64 for a window opening before it', () => {
    const from = -(1n << 63n) - 10n * 7n - 3n;
    const { sql, first } = bucketIndexSql('c', from, 7n);
    // Buckets start at from + 7k; the first at or after Int64's minimum is k = 11.
    expect(first).toBe(11n);
    expect(sql).toContain(`toInt64(${from + 77n})`);
  });
});

describe('findTraces duration bounds', () => {
  const sqlFor = (minDurationMs?: number, maxDurationMs?: number) =>
    listTracesSql(SINGLE_NODE_TABLES, { ...WINDOW, limit: 1, ...(minDurationMs !== undefined ? { minDurationMs } : {}), ...(maxDurationMs !== undefined ? { maxDurationMs } : {}) });

  it('are exact nanosecond thresholds: the first duration d with Number(d) / 1e6 on the right side of the bound', () => {
    expect(sqlFor(20)).toContain('>= 20000000');
    expect(sqlFor(undefined, 400)).toContain('< 400000001');
    // 1.5 µs: 1 ns is 1e-6 ms (below), 2 ns is 2e-6 ms (at or above).
    expect(sqlFor(0.0015)).toContain('>= 1500');
    expect(sqlFor(0.0000015)).toContain('>= 2');
  });

  it('admit every trace for a bound at or below zero and none for a negative maximum', () => {
    expect(sqlFor(0)).not.toContain('last_end - first_start, 0) >=');
    expect(sqlFor(undefined, -1)).toMatch(/AND 0\n/);
  });
});
