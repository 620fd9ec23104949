import type { FastifyReply } from 'fastify';

/** Every API error body: `{ "error": { "code", "message" } }` (DESIGN.md §4). */
export function sendError(reply: FastifyReply, httpStatus: number, code: string, message: string): FastifyReply {
  return reply.code(httpStatus).type('application/json').send({ error: { code, message } });
}
