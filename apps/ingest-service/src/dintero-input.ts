import { RequestValidationError, RequestValidationPipe, fieldErrors } from '@app/platform';

/** Keys and items in what Dintero sends, all levels together: a transaction of thousands of lines, its events too. */
export const DINTERO_MAX_MEMBERS = 200_000;

/** A Dintero transaction or session id as it may appear in a callback's query or a webhook's body. */
export const DINTERO_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Validation of what Dintero sends: what this service reads is checked, and fields Dintero may add later
 * are dropped rather than refused, since a 4xx makes Dintero give a callback up and can get a webhook
 * subscription deleted. A body nested deeper or wider than any of Dintero's is refused (400) before it is
 * transformed, where it overflowed the stack into a 500 that Dintero would send again; it runs after the
 * signature guards, so a forged one is refused for its signature first.
 */
export const dinteroInput = new RequestValidationPipe(
  {
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
  },
  // A `constructor` or `prototype` key (in another channel's transaction metadata, say) is dropped by Nest,
  // as any field Dintero may add: refusing it would make Dintero give the delivery up. A transaction of a large
  // basket has its items again on each event: more members than a POS request, within the body's limit.
  { refuseReservedKeys: false, maxMembers: DINTERO_MAX_MEMBERS },
);
