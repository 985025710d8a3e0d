/** Bearer-token authentication for service calls (LMS back-ends, tools, the CLI) under /api/v1. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/api-errors.ts';

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return null;
  return header.slice('Bearer '.length).trim() || null;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A preHandler that admits only the configured API token. */
export function requireServiceToken(token: string | undefined) {
  return async (request: FastifyRequest): Promise<void> => {
    const given = bearerToken(request);
    if (!token || !given || !sameSecret(given, token)) throw new AppError('UNAUTHORIZED', 'send Authorization: Bearer <STACKLAB_API_TOKEN>');
  };
}
