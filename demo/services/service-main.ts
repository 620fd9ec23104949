/**
 * The life of one demo service process: tracing first, then the server, then one JSON line on
 * stdout (`{"ready":true,"service":…,"port":…}`) that the demo runner waits for. SIGINT, SIGTERM
 * or the runner going away (stdin closes) stop it after its last spans are exported.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import { serve, type Route } from './http-kit.js';
import { startTelemetry } from './telemetry.js';

export async function runService(name: string, routes: (tracer: Tracer) => readonly Route[]): Promise<void> {
  const telemetry = startTelemetry();

  let server: Server | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server?.close();
    server?.closeAllConnections();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();

  const wantedPort = Number(process.env.PORT ?? 0);
  server = await serve(routes(telemetry.tracer), wantedPort).catch((error: NodeJS.ErrnoException) => {
    process.stderr.write(error.code === 'EADDRINUSE'
      ? `port ${wantedPort} is in use: start the demo on other ports with --port N or DEMO_PORT=N (0: any free ones)\n`
      : `cannot listen on port ${wantedPort}: ${error.message}\n`);
    process.exit(1);
  });
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, service: name, port })}\n`);
}
