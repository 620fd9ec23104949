import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, startServer, type ServerProcess } from '../harness/server.js';

/** Listening TCP sockets from /proc/net/tcp{,6}: local address (hex, as the kernel prints it) by port. */
function listeners(): { address: string; port: number }[] {
  const found: { address: string; port: number }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, , state] = [fields[1], fields[2], fields[3]];
      if (local === undefined || state !== '0A') continue; // 0A: LISTEN
      const [address, port] = local.split(':');
      found.push({ address: address!, port: parseInt(port!, 16) });
    }
  }
  return found;
}

const LOOPBACK_V4 = '0100007F'; // 127.0.0.1, little-endian hex

describe.skipIf(process.platform !== 'linux')('default bind address', () => {
  const data = makeDataDir('tributary-bind-');
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('binds the API, OTLP/HTTP and OTLP/gRPC listeners to 127.0.0.1 only, never 0.0.0.0 or ::', () => {
    const all = listeners();
    for (const port of [server.apiPort, server.otlpHttpPort, server.otlpGrpcPort]) {
      const sockets = all.filter((l) => l.port === port);
      expect(sockets.length, `a listener on port ${port}`).toBeGreaterThan(0);
      for (const socket of sockets) expect(socket.address, `port ${port}`).toBe(LOOPBACK_V4);
    }
    expect(server.stderr()).toMatch(/UI and API http:\/\/127\.0\.0\.1:\d+ {2}OTLP\/HTTP http:\/\/127\.0\.0\.1:\d+\/v1\/traces {2}OTLP\/gRPC 127\.0\.0\.1:\d+/);
  });
});
