import { HttpException } from '@nestjs/common';
import { DinteroUnavailableError, type DinteroClient } from '@app/dintero';

/** Dintero could not be asked: nothing was recorded here, and the same request again finishes the work. */
export class DinteroUnreachable extends HttpException {
  constructor(what: string, reason: string) {
    super(
      {
        code: 'DINTERO_UNAVAILABLE',
        detail: `Dintero did not answer while ${what}: ${reason}. Nothing was recorded; send the same request again`,
        retryAfterSeconds: 5,
      },
      503,
    );
  }
}

/**
 * A token to call Dintero with, got before anything is written. Without one, no call can be sent: the request is
 * refused (503, nothing recorded, the same request again does it) rather than recorded as sent with its outcome
 * unknown, which would hold the terminal until the reconciler had found no trace of it. A token Dintero refuses is
 * left to the call itself, which records that refusal. The token is cached: this asks Dintero only when it is due.
 */
export async function tokenForDintero(dintero: DinteroClient, what: string): Promise<void> {
  try {
    await dintero.accessToken();
  } catch (error) {
    if (error instanceof DinteroUnavailableError) throw new DinteroUnreachable(what, error.message);
  }
}
