import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCookies } from 'cookie';
import { bearerKey, hashApiKey } from '@app/platform';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { OperatorKeys, OperatorNotAuthenticatedError, type Operator } from './operator';
import { loadOperators } from './operators.file';
import { SignedOutSessions, signOutKey } from './signed-out-sessions';

/** The cookie that holds a signed-in browser's session (HttpOnly: the page's script never sees it). */
export const SESSION_COOKIE = 'dashboard_session';

export interface OperatorSession {
  readonly operator: Operator;
  /** When the session ends, in ms since the epoch. */
  readonly expiresAt: number;
  /** A signed-in browser's session: its token's key among sign-outs (`SignedOutSessions`). None for a key. */
  readonly signOutKey?: string;
}

/**
 * Who is watching the dashboard. A browser signs in once with its operator key and then holds a session
 * cookie, because an EventSource cannot send an `Authorization` header and a key must never go in a URL;
 * scripts may send `Authorization: Bearer <key>` instead.
 *
 * A session is `{operatorId}.{expires}.{nonce}.{mac}`, the MAC an HMAC-SHA256 with DASHBOARD_SESSION_SECRET over
 * the id, the expiry, the nonce and the hash of the operator's key: nothing is stored per session but a sign-out
 * (`SignedOutSessions`), every instance with the same secret accepts it, and a changed or removed key ends its
 * sessions at the next request. Without a secret, each instance makes one at start: its sessions then end when it
 * restarts.
 */
@Injectable()
export class OperatorSessions {
  private keys: OperatorKeys;
  private readonly secret: Buffer;

  constructor(
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
    private readonly signedOut: SignedOutSessions,
  ) {
    this.keys = config.operatorsFile ? loadOperators(config.operatorsFile) : new OperatorKeys(new Map());
    this.secret = config.dashboardSessionSecret ? Buffer.from(config.dashboardSessionSecret, 'utf8') : randomBytes(32);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Takes the operators of a key file read again; requests after this see only them. */
  replace(keys: OperatorKeys): void {
    this.keys = keys;
  }

  /** A new session for the holder of `key`. */
  signIn(key: string, now = Date.now()): OperatorSession & { readonly token: string } {
    const operator = this.keys.withKeyHash(hashApiKey(key));
    if (!operator) throw new OperatorNotAuthenticatedError(this.unknownKey());
    const expiresAt = now + this.config.dashboardSessionHours * 3_600_000;
    // A nonce of its own: two sign-ins with one key in the same second are two sessions, each signed out alone.
    const payload = `${operator.id}.${Math.floor(expiresAt / 1000)}.${randomBytes(12).toString('base64url')}`;
    return { operator, expiresAt, token: `${payload}.${this.mac(payload, operator.keySha256)}` };
  }

  /** The operator of a request: its `Authorization: Bearer` key, or else its session cookie. */
  authenticate(
    headers: { readonly authorization?: string; readonly cookie?: string },
    now = Date.now(),
  ): OperatorSession {
    const found = this.find(headers, now);
    if (typeof found === 'string') throw new OperatorNotAuthenticatedError(found);
    return found;
  }

  /** The operator of a request, or undefined, without an error to throw: what the rate limit counts by. */
  operatorOf(headers: { readonly authorization?: string; readonly cookie?: string }, now = Date.now()) {
    const found = this.find(headers, now);
    return typeof found === 'string' ? undefined : found.operator;
  }

  /** The request's session, or why it has none. */
  private find(
    headers: { readonly authorization?: string; readonly cookie?: string },
    now: number,
  ): OperatorSession | string {
    const key = bearerKey(headers.authorization);
    if (key !== undefined) {
      const operator = this.keys.withKeyHash(hashApiKey(key));
      if (!operator) return this.unknownKey();
      return { operator, expiresAt: Number.POSITIVE_INFINITY };
    }
    const token = headers.cookie === undefined ? undefined : parseCookies(headers.cookie)[SESSION_COOKIE];
    if (!token) return 'Sign in with an operator key (see README: the dashboard)';
    // `{operatorId}.{expires}.{nonce}.{mac}`; a session signed in before the nonce has none.
    const parts = token.split('.');
    const mac = parts.pop() ?? '';
    const [id = '', expires = ''] = parts;
    const operator = parts.length === 2 || parts.length === 3 ? this.keys.withId(id) : undefined;
    const expiresAt = Number(expires) * 1000;
    const expected = operator ? Buffer.from(this.mac(parts.join('.'), operator.keySha256)) : undefined;
    const given = Buffer.from(mac);
    if (!operator || !expected || expected.length !== given.length || !timingSafeEqual(expected, given))
      return 'The session is not valid (the key was changed or removed): sign in again';
    if (!(expiresAt > now)) return 'The session has ended: sign in again';
    const signedOutAs = signOutKey(token);
    if (this.signedOut.has(signedOutAs)) return 'The session was signed out: sign in again';
    return { operator, expiresAt, signOutKey: signedOutAs };
  }

  /**
   * Ends the request's session everywhere (`SignedOutSessions`): a copy of its cookie no longer signs in. A request
   * with no session that stands (none, ended, a key) has nothing to end.
   */
  async signOut(headers: { readonly cookie?: string }, now = Date.now()): Promise<void> {
    const found = this.find({ ...(headers.cookie === undefined ? {} : { cookie: headers.cookie }) }, now);
    if (typeof found === 'string' || found.signOutKey === undefined) return;
    await this.signedOut.signOut(found.signOutKey, found.expiresAt);
  }

  /** Whether a session still stands: its time is not up, its key is still in the file, it was not signed out. */
  holds({ operator, expiresAt, signOutKey: key }: OperatorSession, now = Date.now()): boolean {
    return (
      expiresAt > now &&
      this.keys.withId(operator.id)?.keySha256 === operator.keySha256 &&
      (key === undefined || !this.signedOut.has(key))
    );
  }

  /** The session's operator as the file says now (its stores may have changed since it signed in). */
  current({ operator }: OperatorSession): Operator | undefined {
    const now = this.keys.withId(operator.id);
    return now?.keySha256 === operator.keySha256 ? now : undefined;
  }

  private unknownKey(): string {
    return this.keys.size === 0
      ? 'No operator keys are configured: set OPERATORS_FILE (see README: the dashboard)'
      : 'Unknown operator key';
  }

  private mac(payload: string, keySha256: string): string {
    return createHmac('sha256', this.secret).update(`${payload}.${keySha256}`).digest('base64url');
  }
}
