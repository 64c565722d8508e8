import { HttpException } from '@nestjs/common';
import { inScope, type StoreScope } from '@app/platform';

/** A POS system allowed to use the API: its id is recorded on every write it makes. */
export class PosClient {
  constructor(
    readonly id: string,
    /** The stores it may act for; `'*'` for every store. */
    readonly stores: StoreScope,
    /** Whether it may change the store and terminal registry of its stores. */
    readonly registry: boolean,
  ) {}

  mayUse(storeId: string): boolean {
    return inScope(this.stores, storeId);
  }

  /** Refuses a store outside the key's list: 403 without saying whether the store exists. */
  assertStore(storeId: string): void {
    if (!this.mayUse(storeId)) throw new StoreNotAllowedError(this.id);
  }

  /**
   * Refuses a key without the registry right, the back office's (or a store outside its list): 403 naming what it may
   * not do, `action`, which the right also covers beside the registry (resolving reviews, say).
   */
  assertRegistry(storeId: string, action = 'change the registry'): void {
    this.assertStore(storeId);
    if (!this.registry) throw new StoreNotAllowedError(this.id, `may not ${action}`);
  }
}

/** No key, or a key that is not in the configuration file: 401. */
export class NotAuthenticatedError extends HttpException {
  constructor(detail: string) {
    super({ code: 'UNAUTHENTICATED', detail }, 401);
  }
}

/** A valid key used for a store it is not limited to: 403. */
export class StoreNotAllowedError extends HttpException {
  constructor(posClientId: string, reason = 'is not allowed to act for this store') {
    // The store is not named: for a terminal of another store, that would tell the key whose it is.
    super({ code: 'STORE_NOT_ALLOWED', detail: `POS client ${posClientId} ${reason}` }, 403);
  }
}
