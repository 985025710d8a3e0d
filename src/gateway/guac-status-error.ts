/** A gateway failure the page receives as a Guacamole `error` instruction, with its Guacamole status code. */
import { LabConnectionError } from '../ssh/lab-connection-error.ts';

export class GuacStatusError extends LabConnectionError {
  constructor(
    userMessage: string,
    detail: string,
    /** A Guacamole status code (GUAC_STATUS); the page retries upstream (0x02xx) ones, not the others. */
    readonly guacStatus: number,
    options?: { cause?: unknown },
  ) {
    super('desktop-unavailable', userMessage, detail, options);
  }
}
