import { HttpException } from '@nestjs/common';
import { inScope, type StoreScope } from '@app/platform';

/** A person (or a wall display) allowed to watch the dashboard of some stores. */
export class Operator {
  constructor(
    readonly id: string,
    /** The stores it may see; `'*'` for every store. */
    readonly stores: StoreScope,
    /** SHA-256 of its key: a session is bound to it, so a changed or removed key ends its sessions. */
    readonly keySha256: string,
  ) {}

  maySee(storeId: string): boolean {
    return inScope(this.stores, storeId);
  }
}

/** The operators of a key file, by the hash of their key and by id. */
export class OperatorKeys {
  private readonly byId: ReadonlyMap<string, Operator>;

  constructor(private readonly byHash: ReadonlyMap<string, Operator>) {
    this.byId = new Map([...byHash.values()].map((operator) => [operator.id, operator]));
  }

  get size(): number {
    return this.byHash.size;
  }

  withKeyHash(keySha256: string): Operator | undefined {
    return this.byHash.get(keySha256);
  }

  withId(id: string): Operator | undefined {
    return this.byId.get(id);
  }
}

/** No key or session, an unknown key, or a session that ended: 401, and never any data. */
export class OperatorNotAuthenticatedError extends HttpException {
  constructor(detail: string) {
    super({ code: 'UNAUTHENTICATED', detail }, 401);
  }
}
