import { createHash } from 'node:crypto';

/**
 * A UUID in form (version 8, RFC 9562's custom one) made from a SHA-256 of `parts`: the same parts give the same
 * id on every instance and after a restart, so that work done again under it (a nightly close, a device change)
 * is recognised as the same.
 */
export function hashedUuid(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
