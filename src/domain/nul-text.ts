/**
 * PostgreSQL cannot store NUL in text, and no identifier, name or form field needs one: input that holds
 * one is refused where it enters (http/error-handler.ts for requests, lti/verify-launch.ts for the
 * claims of a signed id_token), before it can reach a query and fail there as a server error.
 */
const MAX_DEPTH = 32;

/** The path of the first text in `value` (keys included) that holds a NUL character, or undefined. */
export function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const here = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (key.includes('\0')) return here;
    const found = nulPath(inner, here, depth + 1);
    if (found) return found;
  }
  return undefined;
}
