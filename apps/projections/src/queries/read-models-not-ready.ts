import { HttpException } from '@nestjs/common';

/** 503 `READ_MODELS_NOT_READY`: the read models cannot answer this now, not that there is no such thing. */
export function readModelsNotReady(why: string, query?: object): HttpException {
  return new HttpException(
    { code: 'READ_MODELS_NOT_READY', detail: `${why}: ask again`, ...(query && { query }) },
    503,
  );
}

/**
 * Why the dashboard's data is not answered before the projector's start has loaded the read models
 * (`ProjectorService.loaded`); the NATS queries are not subscribed until then.
 */
export const NOT_LOADED = 'The read models are not loaded yet (the event log did not answer as the app started)';
