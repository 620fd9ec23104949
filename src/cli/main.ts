import { Command, CommanderError, Option } from 'commander';
import { intFlag, repeatable } from './config-flags.js';
import { importCommand } from './import.js';
import { queryCommands, type QueryFlags } from './query-commands.js';
import { serveCommand } from './serve.js';

/** Runs the `tributary` CLI; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('tributary')
    .description('OpenTelemetry-native trace backend: who calls this service, through which chain, from which user action')
    .exitOverride()
    .showHelpAfterError();

  const storageOptions = (command: Command) =>
    command
      .option('--data <dir>', 'data directory of the embedded store (env TRIBUTARY_DATA, default ./data)')
      .addOption(new Option('--storage <backend>', 'storage backend (env TRIBUTARY_STORAGE)').choices(['duckdb', 'clickhouse']))
      .option('--clickhouse-url <url>', 'ClickHouse HTTP URL (env TRIBUTARY_CLICKHOUSE_URL)')
      .option('--clickhouse-cluster <name>', 'ClickHouse cluster for sharded tables (env TRIBUTARY_CLICKHOUSE_CLUSTER)')
      .option('--config <file>', 'YAML config file (env TRIBUTARY_CONFIG)');

  storageOptions(program.command('serve').description('receive OTLP traces and serve the API and UI'))
    .option('--host <address>', 'address to bind every listener to (env TRIBUTARY_HOST, default 127.0.0.1)')
    .option('--port <n>', 'API and UI port (env TRIBUTARY_PORT, default 8686)', intFlag('port'))
    .option('--otlp-http-port <n>', 'OTLP/HTTP port (env TRIBUTARY_OTLP_HTTP_PORT, default 4318)', intFlag('otlp-http-port'))
    .option('--otlp-grpc-port <n>', 'OTLP/gRPC port (env TRIBUTARY_OTLP_GRPC_PORT, default 4317)', intFlag('otlp-grpc-port'))
    .option('--settle-ms <n>', 'settle window: a trace idle this long gets its calls derived (env TRIBUTARY_SETTLE_MS, default 10000)', intFlag('settle-ms'))
    .option('--ingest-token <token>', 'bearer token OTLP senders must present; repeat for several (env TRIBUTARY_INGEST_TOKENS, comma-separated)', repeatable)
    .option('--query-token <token>', 'bearer token the API, /metrics and the UI require; repeat for several (env TRIBUTARY_QUERY_TOKENS)', repeatable)
    .option('--multi-tenancy', 'every request names its tenant in X-Scope-OrgID; one store per tenant (env TRIBUTARY_MULTI_TENANCY)')
    .action(async (flags: Record<string, string | number | boolean | string[] | undefined>) => {
      exitCode = await serveCommand({
        config: flags.config as string | undefined,
        dataDir: flags.data as string | undefined,
        storage: flags.storage as string | undefined,
        clickhouseUrl: flags.clickhouseUrl as string | undefined,
        clickhouseCluster: flags.clickhouseCluster as string | undefined,
        host: flags.host as string | undefined,
        port: flags.port as number | undefined,
        otlpHttpPort: flags.otlpHttpPort as number | undefined,
        otlpGrpcPort: flags.otlpGrpcPort as number | undefined,
        settleMs: flags.settleMs as number | undefined,
        ingestTokens: flags.ingestToken as string[] | undefined,
        queryTokens: flags.queryToken as string[] | undefined,
        multiTenancy: flags.multiTenancy as boolean | undefined,
      });
    });

  const queryOptions = (command: Command, options: { service?: boolean } = {}) => {
    storageOptions(command)
      .option('--server <url>', 'query a running server instead of the data directory, e.g. http://127.0.0.1:8686')
      .option('--token <token>', 'bearer token for --server (env TRIBUTARY_TOKEN)')
      .option('--tenant <id>', 'tenant: X-Scope-OrgID for --server, <data>/tenants/<id> for --data (env TRIBUTARY_TENANT)')
      .option('--json', 'print the API\'s JSON')
      .option('--from <time>', 'window start: ISO-8601, epoch ms or now-15m (default now-1h)')
      .option('--to <time>', 'window end (default now)');
    if (options.service) {
      command
        .addOption(new Option('--kind <kind>', 'service kind when names collide').choices(['service', 'database', 'messaging', 'external', 'application']))
        .option('--request <name>', 'only this request name of the service')
        .option('--chain <chain>', 'only transactions containing this call chain, e.g. "frontend > order:GET /order/{id} > backend"');
    }
    return command;
  };
  storageOptions(program.command('import').argument('<file...>').description('import trace files (OTLP JSON/protobuf, Zipkin v2, Jaeger JSON) and derive their calls'))
    .addOption(new Option('--format <format>', 'file format').choices(['auto', 'otlp-json', 'otlp-proto', 'zipkin', 'jaeger']).default('auto'))
    .option('--tenant <id>', 'import into this tenant\'s store, <data>/tenants/<id> (env TRIBUTARY_TENANT)')
    .action(async (files: string[], flags: Record<string, string | undefined>) => {
      exitCode = await importCommand(files, flags);
    });

  // Commander's camel-cased option names are the QueryFlags fields.
  const queryFlags = (flags: Record<string, unknown>): QueryFlags => flags as QueryFlags;

  queryOptions(program.command('services').description('list services with requests, failures and response times'))
    .option('--zone <zone>', 'only services in this zone')
    .action(async (flags: Record<string, unknown>) => {
      exitCode = await queryCommands.services(queryFlags(flags));
    });
  queryOptions(program.command('backtrace').argument('<service>').description('who calls SERVICE, through which chains, from which user actions'), { service: true })
    .action(async (service: string, flags: Record<string, unknown>) => {
      exitCode = await queryCommands.backtrace(service, queryFlags(flags));
    });
  queryOptions(program.command('flow').argument('<service>').description('what SERVICE calls, transitively'), { service: true })
    .action(async (service: string, flags: Record<string, unknown>) => {
      exitCode = await queryCommands.flow(service, queryFlags(flags));
    });
  storageOptions(program.command('trace').argument('<traceId>').description('all spans of one trace with its service calls'))
    .option('--server <url>', 'query a running server instead of the data directory')
    .option('--token <token>', 'bearer token for --server (env TRIBUTARY_TOKEN)')
    .option('--tenant <id>', 'tenant: X-Scope-OrgID for --server, <data>/tenants/<id> for --data (env TRIBUTARY_TENANT)')
    .option('--json', 'print the API\'s JSON')
    .action(async (traceId: string, flags: Record<string, unknown>) => {
      exitCode = await queryCommands.trace(traceId, queryFlags(flags));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}
