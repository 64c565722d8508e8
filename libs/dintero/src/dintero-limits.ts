import { isCurrencyCode } from '@app/payment-domain';

/**
 * The largest amount Dintero takes, in minor units: its specification gives every amount the engine sends
 * (`order.amount`, `order.vat_amount`, a capture's and a refund's `amount`) as `Format: int32`. The POS's start is
 * refused above it (`400 VALIDATION_FAILED`, nothing written), as the simulator refuses such a session, where the
 * engine took the payment and Dintero's 400 came back as a refusal of it.
 */
export const DINTERO_MAX_AMOUNT = 2_147_483_647;

/**
 * A currency Dintero takes: its specification gives `order.currency` as `Format: iso4217-code`, and the list is the
 * engine's own (`isCurrencyCode` of `@app/payment-domain`), so that what a store is registered for, what the engine
 * starts in and what the simulator takes as Dintero cannot differ.
 */
export const isDinteroCurrency = isCurrencyCode;
