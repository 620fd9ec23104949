import type { FastifyReply } from 'fastify';
import { wwwAuthenticate, type Refusal } from '../app/access.js';

/** Every API error body: `{ "error": { "code", "message" } }` (DESIGN.md §4). */
export function sendError(reply: FastifyReply, httpStatus: number, code: string, message: string): FastifyReply {
  return reply.code(httpStatus).type('application/json').send({ error: { code, message } });
}

/** HTTP status and error code of each refusal (token, tenant, tenant limit, store). */
export const REFUSAL_HTTP: Readonly<Record<Refusal['kind'], { readonly status: number; readonly code: string }>> = {
  'unauthenticated': { status: 401, code: 'unauthenticated' },
  'invalid-tenant': { status: 400, code: 'invalid_tenant' },
  'tenant-limit': { status: 429, code: 'too_many_tenants' },
  'unavailable': { status: 503, code: 'unavailable' },
};

/** A refused API request, as the API's other errors; a 401 names the scheme (RFC 6750). */
export function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  const { status, code } = REFUSAL_HTTP[refusal.kind];
  if (status === 401) reply.header('WWW-Authenticate', wwwAuthenticate(refusal));
  return sendError(reply, status, code, refusal.message);
}
