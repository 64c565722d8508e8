/** Store and terminal ids become NATS subject tokens and KV keys, so they are limited to this (docs/design.md). */
export const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function isSubjectToken(value: unknown): value is string {
  return typeof value === 'string' && SUBJECT_TOKEN.test(value);
}
