/** The rim's clock: the domain receives time inside commands, and this is where it is read. */
export function now(): string {
  return new Date().toISOString();
}
