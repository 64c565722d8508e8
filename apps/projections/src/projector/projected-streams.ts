/** The streams the read models and the feed are made of; idempotency records are internal bookkeeping. */
export const PROJECTED_STREAMS = ['store-', 'terminal-', 'payment-', 'operation-'];
