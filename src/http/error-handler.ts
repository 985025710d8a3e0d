/**
 * Every answer that is not a success leaves here as `{code, message, detail}` with a 4xx status when
 * the request was at fault: the app's own AppErrors, fastify's validation errors, bodies that are too
 * large, not JSON or of a type no parser takes, and URLs that are not valid. Only what the server got
 * wrong answers 500, and only those are logged with their stack.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { nulPath } from '../domain/nul-text.ts';
import { AppError, API_ERRORS as ERRORS, type ApiErrorCode as ErrorCode } from '../errors/api-errors.ts';
import { inEnglish, sentence, type Sentence } from '../errors/sentence.ts';
import { translator } from '../infra/i18n/catalogues.ts';
import { SOURCE_LOCALE } from '../infra/i18n/locale-info.ts';
import { answerLocale } from '../infra/i18n/negotiate.ts';

/**
 * The error's sentence in the language the client asks for (Accept-Language; the lab page sends its own
 * first): the thrower's catalogue sentence, else the code's (`error.<CODE>`). An answer to a client that
 * asks for no language we have stays English, and so does a sentence a thrower wrote as plain text.
 */
function localized(body: ErrorBody, said: Sentence | undefined, acceptLanguage: string | undefined): ErrorBody {
  return said ? { ...body, message: sayFor(said, acceptLanguage, body.message) } : body;
}

/** A sentence in the language a client asks for (Accept-Language), else `english` (its English text by default). */
export function sayFor(said: Sentence, acceptLanguage: string | undefined, english = inEnglish(said)): string {
  const locale = answerLocale(acceptLanguage);
  return locale && locale !== SOURCE_LOCALE ? translator(locale)(said.key, said.values) : english;
}

/** fastify's own error codes that say the request was at fault, and which catalogue code tells the client. */
const FRAMEWORK_CODES: Record<string, { code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'the body is larger than the limit (setting body_limit)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'no parser for this content type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', detail: 'content-length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_REQUEST', detail: 'content-type is application/json but the body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', detail: 'the body is not valid JSON' },
  FST_ERR_BAD_URL: { code: 'BAD_REQUEST', detail: 'the URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'NOT_FOUND', detail: 'a path segment is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'BAD_REQUEST', detail: 'the request matches no route constraint' },
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  detail?: string;
}

/** The answer for an error, and whether it is the server's fault (to be logged with its stack). */
export function errorAnswer(error: unknown): { status: number; body: ErrorBody; serverFault: boolean } {
  if (error instanceof AppError) return { status: error.status, body: error.toJSON(), serverFault: error.status >= 500 };
  const fe = error as Partial<FastifyError> & { message?: string };
  const known = fe.code ? FRAMEWORK_CODES[fe.code] : undefined;
  if (known) return { status: ERRORS[known.code].status, body: { code: known.code, message: ERRORS[known.code].message, detail: known.detail }, serverFault: false };
  if (fe.validation) {
    return { status: 400, body: { code: 'BAD_REQUEST', message: ERRORS.BAD_REQUEST.message, detail: fe.message ?? 'the request does not match its schema' }, serverFault: false };
  }
  // Another fastify error that blames the request (its codes are FST_*; its message says what, never whose).
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    return { status: fe.statusCode, body: { code, message: ERRORS[code].message, detail: fe.message }, serverFault: false };
  }
  return { status: 500, body: new AppError('INTERNAL').toJSON(), serverFault: true };
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = errorAnswer(error);
  if (error instanceof AppError) {
    // The log gets the detail (ids, states); the client gets only the code, the sentence and any client-safe detail.
    const line = { code: error.code, status: error.status, detail: error.detail, ...(error.cause ? { err: error.cause } : {}) };
    if (error.status >= 500) request.log.error(line, 'request failed');
    else if (error.status === 401 || error.status === 404) request.log.info(line, 'request refused');
    else request.log.warn(line, 'request refused');
  } else if (answer.serverFault) request.log.error({ err: error }, 'request failed');
  if (error instanceof AppError && error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  const said = error instanceof AppError ? error.said : sentence(`error.${answer.body.code}`);
  return reply.status(answer.status).send(localized(answer.body, said, request.headers['accept-language']));
}

/** For fastify's `frameworkErrors` option: bad URLs are refused before routing, in the same shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  handleError(error, request, reply);
}

/** A preValidation hook for every route: NUL in the URL, the query or the body is refused with 400. */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  const where = (request.raw.url ?? '').includes('%00') ? 'url' : (nulPath(request.params, 'params') ?? nulPath(request.query, 'query') ?? nulPath(request.body, 'body'));
  const body = request.body;
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body)) && /json/i.test(request.headers['content-type'] ?? '')) {
    throw new AppError('BAD_REQUEST', 'the JSON body is not an object', { message: sentence('error.BAD_REQUEST.notObject'), clientDetail: 'the JSON body is not an object' });
  }
  if (where) {
    throw new AppError('BAD_REQUEST', `${where} contains a NUL character`, { clientDetail: `${where} contains a NUL character`, message: sentence('error.BAD_REQUEST.nulCharacter') });
  }
}
