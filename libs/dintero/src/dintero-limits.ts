/**
 * The largest amount Dintero takes, in minor units: its specification gives every amount the engine sends
 * (`order.amount`, `order.vat_amount`, a capture's and a refund's `amount`) as `Format: int32`. The POS's start is
 * refused above it (`400 VALIDATION_FAILED`, nothing written), as the simulator refuses such a session, where the
 * engine took the payment and Dintero's 400 came back as a refusal of it.
 */
export const DINTERO_MAX_AMOUNT = 2_147_483_647;
