/**
 * A gateway failure the page receives as a Guacamole `error` instruction, with its Guacamole status code
 * and the catalogue sentence the page says it by (rdp-bridge.ts, web/rdp-view.ts).
 */
import type { Sentence } from '../errors/sentence.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';

export class GuacStatusError extends LabConnectionError {
  declare readonly said: Sentence;
  constructor(
    said: Sentence,
    detail: string,
    /** A Guacamole status code (GUAC_STATUS); the page retries upstream (0x02xx) ones, not the others. */
    readonly guacStatus: number,
    options?: { cause?: unknown },
  ) {
    super('desktop-unavailable', said, detail, options);
  }
}
