/**
 * `REBUILD_HEAP_MIB`: `npm run projections:rebuild`'s JavaScript heap, in MiB (V8's old space). Its own module,
 * with nothing imported, so that the rebuild's entry can start the bounded process before loading anything.
 */
export const REBUILD_HEAP_MIB = { default: 256, min: 64, max: 64 * 1024 } as const;

/**
 * The bound to start the rebuild's process with: `REBUILD_HEAP_MIB` when it is a whole number in range, else
 * the default (the rebuild process then refuses the configuration, as any app does, with its message).
 */
export function heapMibToStartWith(env: NodeJS.ProcessEnv): number {
  const text = env.REBUILD_HEAP_MIB?.trim() ?? '';
  const mib = /^\d+$/.test(text) ? Number(text) : NaN;
  return mib >= REBUILD_HEAP_MIB.min && mib <= REBUILD_HEAP_MIB.max ? mib : REBUILD_HEAP_MIB.default;
}
