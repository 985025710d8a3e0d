/** A gateway failure the page receives as a Guacamole `error` instruction, with its Guacamole status code. */
import { GatewayError } from './ssh-connect.ts';

export class GuacStatusError extends GatewayError {
  constructor(
    userMessage: string,
    detail: string,
    /** A Guacamole status code (GUAC_STATUS); the page retries upstream (0x02xx) ones, not the others. */
    readonly code: number,
    options?: { cause?: unknown },
  ) {
    super(userMessage, detail, options);
    this.name = 'GuacStatusError';
  }
}
