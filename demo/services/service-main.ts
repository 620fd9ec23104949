/**
 * The life of one demo service process: tracing first, then the server, then one JSON line on
 * stdout (`{"ready":true,"service":…,"port":…}`) that the demo runner waits for. SIGINT, SIGTERM
 * or the runner going away (stdin closes) stop it after its last spans are exported.
 */
import type { AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import { serve, type Route } from './http-kit.js';
import { startTelemetry } from './telemetry.js';

export async function runService(name: string, routes: (tracer: Tracer) => readonly Route[]): Promise<void> {
  const telemetry = startTelemetry();
  const server = await serve(routes(telemetry.tracer), Number(process.env.PORT ?? 0));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, service: name, port })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}
