/**
 * The one base of every error a person reads (a learner, an author, an LMS administrator, an API
 * client). It keeps three things apart on purpose:
 *
 * - `code`: stable and machine-readable, from a closed union per kind of error (docs/errors.md lists
 *   them all); clients, metrics and tests switch on it, never on the wording.
 * - `message`: a sentence for the person, saying what to do next where possible. Safe to show. Given
 *   as a catalogue `Sentence` it is `said` in the reader's language where one is shown (docs/i18n.md);
 *   `message` holds its English text.
 * - `detail`: for the operator's log only (learner ids, stack ids, states, causes). Never sent to a
 *   client or shown on a page; the log has it, with `code`, so a report can be matched to a line.
 *
 * Errors nobody outside the process reads (parse failures, lost leases, protocol violations) stay
 * plain `Error`s near their code; where they reach a person they are turned into one of these.
 */
import { inEnglish, type Sentence } from './sentence.ts';

export class UserFacingError<Code extends string = string> extends Error {
  /** The message as a catalogue sentence, when the thrower gave one (every learner-facing thrower does). */
  readonly said?: Sentence;
  constructor(
    readonly code: Code,
    /** A sentence for the person; safe to show. */
    message: string | Sentence,
    /** For the log only; never shown. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(typeof message === 'string' ? message : inEnglish(message), options);
    this.name = new.target.name;
    if (typeof message !== 'string') this.said = message;
  }
}
