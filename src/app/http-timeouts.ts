import type { HttpTimeouts } from '../config/config.js';

/** Fastify's socket timeouts; `requestTimeout` also bounds the headers (slow-loris). */
export function fastifyTimeouts(timeouts: HttpTimeouts | undefined): {
  requestTimeout?: number; connectionTimeout?: number; keepAliveTimeout?: number; http?: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  if (timeouts === undefined) return {};
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.idleTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // Node checks request deadlines on an interval (30 s by default): check often enough that a
    // short timeout is honoured close to its value.
    http: {
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(timeouts.requestTimeoutMs / 4))),
    },
  };
}
