/**
 * Every code a person or a client can meet, gathered from the layer that owns it, rendered into
 * docs/errors.md (`npm run docs`; a test fails when the file drifts). It lives in the composition
 * root because it is the one place allowed to import every layer.
 */
import { CHECK_RUN_FAILURES } from '../checks/check-service.ts';
import { STACK_ERRORS } from '../domain/stack-errors.ts';
import { API_ERRORS } from '../errors/api-errors.ts';
import { LTI_REFUSALS } from '../lti/lti-error.ts';
import { PROVIDER_ERRORS } from '../providers/provider.ts';
import { LAB_CONNECTION_FAILURES } from '../ssh/lab-connection-error.ts';

export function renderErrorDocs(): string {
  return [
    '# Errors',
    '',
    '<!-- generated from src/app/error-catalogue.ts by `npm run docs`; a test fails when this file drifts -->',
    '',
    'Every error a person reads has a stable `code` (clients, dashboards and tests switch on it, never on',
    'the wording), a `message` for people that says what to do next where it can, and a log-only detail',
    '(learner and stack ids, states, causes) that is written to the server log and never sent to a client',
    'or shown on a page (`src/errors/user-facing-error.ts`).',
    '',
    '## API errors',
    '',
    'Every error answer of the HTTP API is `{ "code": "...", "message": "...", "detail": "..." }`.',
    '`detail` is present only when it is safe for the caller: for bad input it names the field that is',
    'wrong and why (`token_url: Invalid URL`). Ids, states and causes stay in the log.',
    '',
    '| code | HTTP status | message |',
    '|---|---|---|',
    ...Object.entries(API_ERRORS).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.message} |`),
    '',
    '## Stack error codes',
    '',
    "A failed stack's `errorCode` (`error_code` in the store): what kind of failure its `error` sentence",
    'describes. This is every code a stack can carry (the type is closed), and the `code` label of the',
    '`stacklab_operation_failures_total` metric (docs/operations.md).',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(STACK_ERRORS).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
    '## LTI refusals',
    '',
    'A refused LTI login, launch or deep-linking answer shows an HTML page inside the LMS with the',
    "message and the reason; the server log has the reason and the detail (`lti: refused`).",
    '',
    '| reason | HTTP status |',
    '|---|---|',
    ...Object.entries(LTI_REFUSALS).map(([reason, status]) => `| \`${reason}\` | ${status} |`),
    '',
    '## Lab connection failures',
    '',
    'A terminal, a desktop or a progress check that cannot reach the lab tells the learner in its own',
    'words; the server log has the code and the detail.',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(LAB_CONNECTION_FAILURES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
    '## Provider errors',
    '',
    "A failed call to a provider (OpenStack, the local runtime): the learner reads the stack's `error`",
    "sentence; the server log has this code and the provider's own words. `TEMPLATE_INVALID` also becomes",
    "the stack's `errorCode`.",
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(PROVIDER_ERRORS).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
    '## Progress checks that could not run',
    '',
    'The learner reads the sentence on the lab page; the log line `progress check failed to run` has the code.',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(CHECK_RUN_FAILURES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
  ].join('\n');
}
