/**
 * The loopback ceiling for bench/ingest.ts: a do-nothing OTLP/HTTP endpoint. It reads each request
 * body to the end and answers 200 with an empty `ExportTraceServiceResponse` (zero bytes), so the
 * same client processes measure what node:http and the loopback interface carry on this machine
 * with nothing behind them. Prints `{"ready":true,"otlpHttpPort":N}` like `tributary serve`;
 * stops on SIGTERM.
 */
import http from 'node:http';

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the sink did not get a TCP port');
  process.stdout.write(`${JSON.stringify({ ready: true, otlpHttpPort: address.port })}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
