/**
 * A stand-in for a third party (FedEx's rate API) on loopback. Deliberately not instrumented: a
 * third party sends no spans, so Tributary derives it from its callers' client spans, which the
 * demo names `peer.service = api.fedex.com`.
 *
 * Failure scenario `third-party`: it answers 503.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { failureEnabled } from './http-kit.js';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      if (failureEnabled('third-party')) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'rate service temporarily unavailable' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: 'FEDEX_GROUND', amount: 12.4, currency: 'EUR', days: 3 }));
    }, 20 + Math.random() * 40);
  });
});
server.once('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(`cannot listen on port ${process.env.PORT}: ${error.code === 'EADDRINUSE' ? 'in use (start the demo with another --port or DEMO_PORT)' : error.message}\n`);
  process.exit(1);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ ready: true, service: 'api.fedex.com', port })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
