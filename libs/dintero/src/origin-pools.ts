import { Pool } from 'undici';

/**
 * One pool of kept-alive connections per origin, made on first use: the Dintero client's calls and the
 * simulator's deliveries. undici's `Pool` rather than the global `fetch` that wraps it: without WHATWG streams
 * and a new connection or abort signal per call, a call costs a fraction of the CPU (fetch was a tenth of the
 * engine's time in the profile).
 */
export class OriginPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: Pool.Options) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) this.pools.set(origin, (pool = new Pool(origin, this.options)));
    return pool;
  }

  /** Closes every pool: `graceful` lets the calls in flight finish, otherwise they are cut off. */
  async close(graceful = true): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => (graceful ? pool.close() : pool.destroy())));
  }
}
