import { Injectable } from '@nestjs/common';
import { bearerKey, hashApiKey } from '@app/platform';
import { NotAuthenticatedError, type PosClient } from './pos-client';

export const POS_CLIENTS = Symbol('POS_CLIENTS');

/** Who is calling: the same answer for an HTTP `Authorization` header and a NATS message's. */
@Injectable()
export class PosCredentials {
  constructor(private clients: ReadonlyMap<string, PosClient>) {}

  /** How many POS clients hold a key. */
  get size(): number {
    return this.clients.size;
  }

  /** Takes the clients of a key file read again (`PosClientsReloader`); requests after this see only them. */
  replace(clients: ReadonlyMap<string, PosClient>): void {
    this.clients = clients;
  }

  authenticate(authorization: string | undefined): PosClient {
    const key = bearerKey(authorization);
    if (key === undefined) throw new NotAuthenticatedError('Send the POS API key as "Authorization: Bearer <key>"');
    const client = this.clients.get(hashApiKey(key));
    if (!client) throw new NotAuthenticatedError('Unknown API key');
    return client;
  }

  /** The client whose key this header holds, or undefined for no key or one no client holds. */
  clientOf(authorization: string | undefined): PosClient | undefined {
    const key = bearerKey(authorization);
    return key === undefined ? undefined : this.clients.get(hashApiKey(key));
  }
}
