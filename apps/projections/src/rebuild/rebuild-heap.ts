/**
 * `REBUILD_HEAP_MIB`: `npm run projections:rebuild`'s JavaScript heap, in MiB (V8's old space). Its own module,
 * with nothing imported, so that the rebuild's entry can start the bounded process before loading anything.
 */
export const REBUILD_HEAP_MIB = { default: 256, min: 64, max: 64 * 1024 } as const;

/**
 * Each of the young generation's semi-spaces, in MiB (`--max-semi-space-size`; V8's default is 16). A rebuild
 * makes a new document for every event it folds and drops the one before, so nearly all it allocates dies young:
 * with 16 MiB, V8's scavenges were 8.6% of a rebuild's profile. With 32, a rebuild of 1M events ran about a fifth
 * faster (`bench:projections`' log, each size in turn: 52,860-54,041 events/s, then 62,889-65,047) for about 32 MB
 * more resident memory; 48 was faster again, but past 300 MB. An operator's own `--max-semi-space-size` (in
 * NODE_OPTIONS) is kept.
 */
export const REBUILD_SEMI_SPACE_MIB = 32;

/**
 * The bound to start the rebuild's process with: `REBUILD_HEAP_MIB` when it is a whole number in range, else
 * the default (the rebuild process then refuses the configuration, as any app does, with its message).
 */
export function heapMibToStartWith(env: NodeJS.ProcessEnv): number {
  const text = env.REBUILD_HEAP_MIB?.trim() ?? '';
  const mib = /^\d+$/.test(text) ? Number(text) : NaN;
  return mib >= REBUILD_HEAP_MIB.min && mib <= REBUILD_HEAP_MIB.max ? mib : REBUILD_HEAP_MIB.default;
}
