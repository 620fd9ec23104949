/**
 * `CallAnalytics` for DuckDB: each method builds its statement (one file per analysis), runs it
 * on a reader connection and maps the rows. The aggregation happens in the database; what comes
 * back is groups, never the calls themselves.
 */
import type { ServiceKind } from '../../../model/service.js';
import type {
  BacktraceDetails,
  BacktraceGroup,
  CallAnalytics,
  FailureSummary,
  FlowGroup,
  FocalFilter,
  NodeRef,
  ServiceNeighbourhood,
  ServiceSummary,
  TimeRange,
  TraceQuery,
  TraceSummary,
  ZoneFilter,
} from '../../api/call-queries.js';
import type { StoredTrace } from '../../api/storage.js';
import type { SerialConnection } from '../connection.js';
import { backtraceGroupsFromRows, backtraceGroupsSql } from './backtrace.js';
import { backtraceDetailsFromRows, backtraceDetailsSql } from './details.js';
import { checkBuckets, failuresFromRows, failuresSql } from './failures.js';
import { runFlowGroups } from './flow.js';
import { DIRTY_BUCKETS } from './rollup-minutes.js';
import { serviceNeighbourhoodFromRows, serviceNeighbourhoodSql } from './neighbourhood.js';
import { LIST_RESOURCES_SQL, resourcesFromRows, serviceKindsFromRows, serviceKindsSql, serviceSummariesFromRows, serviceSummariesSql } from './services.js';
import { SqlParams } from './sql-params.js';
import { runStatement } from './statement.js';
import { findTracesFromRows, findTracesSql, withExactCounts } from './traces.js';

/** Runs `fn` on a reader connection, turning failures into `StorageError`s named after `what`. */
export type ReadRunner = <T>(what: string, fn: (conn: SerialConnection) => Promise<T>) => Promise<T>;

/** Reads whole traces on `conn` (the trace reader): `findTraces` recounts a trace spread over several blocks from its spans. */
export type TracesReader = (conn: SerialConnection, traceIds: readonly string[]) => Promise<Map<string, StoredTrace>>;

export class DuckDbAnalytics implements CallAnalytics {
  constructor(
    private readonly read: ReadRunner,
    private readonly readTraces: TracesReader,
    /** Past this many focal calls a flow is read from the flow rollup (`flow.ts`). */
    private readonly flowExactLimit: number,
  ) {}

  backtraceGroups(filter: FocalFilter): Promise<BacktraceGroup[]> {
    return this.read('backtraceGroups', async (conn) => backtraceGroupsFromRows(await runStatement(conn, backtraceGroupsSql(filter))));
  }

  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): Promise<BacktraceDetails> {
    return this.read('backtraceDetails', async (conn) =>
      backtraceDetailsFromRows(await runStatement(conn, backtraceDetailsSql(filter, nodePath, exemplarLimit))),
    );
  }

  flowGroups(filter: FocalFilter): Promise<FlowGroup[]> {
    return this.read('flowGroups', (conn) => runFlowGroups(conn, filter, this.flowExactLimit));
  }

  serviceSummaries(range: TimeRange, zone?: ZoneFilter): Promise<ServiceSummary[]> {
    // One transaction: the dirty minutes and the rollup rows come from the same snapshot.
    return this.read('serviceSummaries', (conn) =>
      conn.transaction(async () => {
        const dirty = zone === undefined ? (await conn.query(DIRTY_BUCKETS)).getRows().map(([bucket]) => bucket as bigint) : [];
        return serviceSummariesFromRows(await runStatement(conn, serviceSummariesSql(range, zone, dirty)));
      }),
    );
  }

  serviceNeighbourhood(filter: FocalFilter): Promise<ServiceNeighbourhood> {
    return this.read('serviceNeighbourhood', async (conn) =>
      serviceNeighbourhoodFromRows(await runStatement(conn, serviceNeighbourhoodSql(filter))),
    );
  }

  failures(filter: FocalFilter, bucketMs: number): Promise<FailureSummary> {
    return this.read('failures', async (conn) => {
      const bucketNanos = checkBuckets(filter, bucketMs);
      return failuresFromRows(await runStatement(conn, failuresSql(filter, bucketNanos)), filter, bucketNanos);
    });
  }

  findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return this.read('findTraces', async (conn) => {
      const listed = findTracesFromRows(await runStatement(conn, findTracesSql(query)));
      const recounted = await this.readTraces(conn, listed.filter((l) => l.recount).map((l) => l.summary.traceId));
      return listed.map(({ summary, recount }) => (recount ? withExactCounts(summary, recounted.get(summary.traceId)!) : summary));
    });
  }

  serviceKinds(name: string): Promise<ServiceKind[]> {
    return this.read('serviceKinds', async (conn) => serviceKindsFromRows(await runStatement(conn, serviceKindsSql(name))));
  }

  listResources(): Promise<Map<string, Record<string, string>>> {
    return this.read('listResources', async (conn) => resourcesFromRows(await runStatement(conn, { sql: LIST_RESOURCES_SQL, params: new SqlParams() })));
  }
}
