/**
 * `CallAnalytics` for ClickHouse: each method builds its statements (one file per analysis), runs
 * them on the connection (several at once where an analysis needs several lists) and maps the
 * rows. The aggregation happens in the database; what comes back is groups, never the calls.
 *
 * Written for ClickHouse 18.16 (Debian's package) and current releases: no CTE subqueries, no
 * query parameters (values are escaped into the text by `literal.ts` only), no correlated
 * subqueries, no window functions. Every read of `calls` applies `liveCallsFilter`.
 *
 * Cluster mode: the outer `FROM` of each statement is `tables.calls` / `tables.spans` (the
 * `Distributed` tables), every subquery reads `tables.local` and relates rows of one trace only,
 * and every aggregate merges exactly (counts, `uniqExact`, `groupArray` for percentiles), so each
 * shard answers for its own traces and the initiator merges. The statements of one analysis are
 * separate reads: a write landing between them can make their lists disagree by that write.
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
import { StorageError } from '../../api/storage.js';
import type { ClickHouseTables } from '../tables.js';
import { backtraceGroupsFromRows, backtraceGroupsSql } from './backtrace.js';
import type { AnalyticsConnection } from './connection.js';
import { backtraceDetailsSql, runBacktraceDetails } from './details.js';
import { checkBuckets, failuresSql, runFailures } from './failures.js';
import { flowGroupsSql, runFlowGroups } from './flow.js';
import { runServiceNeighbourhood, serviceNeighbourhoodSql } from './neighbourhood.js';
import { runServiceSummaries, serviceKindsFromRows, serviceKindsSql, serviceSummariesSql } from './services.js';
import { runFindTraces } from './traces.js';
import { listResourcesSql, resourcesFromRows } from './zones.js';

export class ClickHouseAnalytics implements CallAnalytics {
  constructor(
    private readonly conn: AnalyticsConnection,
    private readonly tables: ClickHouseTables,
  ) {}

  backtraceGroups(filter: FocalFilter): Promise<BacktraceGroup[]> {
    return this.run('backtraceGroups', async () => backtraceGroupsFromRows(await this.conn.query(backtraceGroupsSql(this.tables, filter))));
  }

  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): Promise<BacktraceDetails> {
    return this.run('backtraceDetails', () => runBacktraceDetails(this.conn, backtraceDetailsSql(this.tables, filter, nodePath, exemplarLimit)));
  }

  flowGroups(filter: FocalFilter): Promise<FlowGroup[]> {
    return this.run('flowGroups', () => runFlowGroups(this.conn, flowGroupsSql(this.tables, filter)));
  }

  serviceSummaries(range: TimeRange, zone?: ZoneFilter): Promise<ServiceSummary[]> {
    return this.run('serviceSummaries', () => runServiceSummaries(this.conn, serviceSummariesSql(this.tables, range, zone)));
  }

  serviceNeighbourhood(filter: FocalFilter): Promise<ServiceNeighbourhood> {
    return this.run('serviceNeighbourhood', () => runServiceNeighbourhood(this.conn, serviceNeighbourhoodSql(this.tables, filter)));
  }

  async failures(filter: FocalFilter, bucketMs: number): Promise<FailureSummary> {
    // A bad bucket size is the caller's error (a RangeError, as a rejection), not the store's.
    const bucketNanos = checkBuckets(filter, bucketMs);
    return this.run('failures', () => runFailures(this.conn, failuresSql(this.tables, filter, bucketNanos), filter, bucketNanos));
  }

  findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return this.run('findTraces', () => runFindTraces(this.conn, this.tables, query));
  }

  serviceKinds(name: string): Promise<ServiceKind[]> {
    return this.run('serviceKinds', async () => serviceKindsFromRows(await this.conn.query(serviceKindsSql(this.tables, name))));
  }

  listResources(): Promise<Map<string, Record<string, string>>> {
    return this.run('listResources', async () => resourcesFromRows(await this.conn.query(listResourcesSql(this.tables))));
  }

  /** Runs `fn`, turning any failure (a malformed id, a server error) into a `StorageError` named after `what`. */
  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
    }
  }
}
