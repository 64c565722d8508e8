import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '@app/platform';
import { testOperator, writeOperatorsFile } from '../../../test/support/operators';
import { OperatorNotAuthenticatedError } from '../src/operators/operator';
import { OperatorSessions } from '../src/operators/operator-sessions';
import { SignedOutSessions } from '../src/operators/signed-out-sessions';
import { loadOperators } from '../src/operators/operators.file';
import { ProjectionsConfig } from '../src/projections.config';

describe('dashboard operators and their sessions', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'operators-'));
  const file = path.join(dir, 'operators.json');
  const west = testOperator('west', 'bergen', 'stavanger');
  const all = testOperator('all');
  const config = (env: Record<string, string> = {}) =>
    loadConfig(ProjectionsConfig, {
      EVENT_STORE_URL: 'sqlite::memory:',
      OPERATORS_FILE: file,
      DASHBOARD_SESSION_SECRET: 's'.repeat(32),
      ...env,
    });
  const now = Date.parse('2026-12-01T12:00:00.000Z');
  const cookieOf = (token: string) => `other=1; dashboard_session=${token}`;
  /** Sessions with no sign-out recorded: NATS is never asked here (`dashboard.int` signs out through it). */
  const sessionsOf = (settings: ProjectionsConfig) =>
    new OperatorSessions(settings, new SignedOutSessions(undefined as never, settings));
  /** The detail of the 401 a call is refused with. */
  const refusal = (call: () => unknown): string => {
    try {
      call();
    } catch (error) {
      expect(error).toBeInstanceOf(OperatorNotAuthenticatedError);
      return ((error as OperatorNotAuthenticatedError).getResponse() as { detail: string }).detail;
    }
    throw new Error('not refused');
  };

  beforeEach(() => writeOperatorsFile(file, [west, all]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs in with a key, and knows the session again from its cookie until it ends', () => {
    const sessions = sessionsOf(config());
    const { token, operator, expiresAt } = sessions.signIn(west.key, now);
    expect(operator.id).toBe('west');
    expect(expiresAt).toBe(now + 12 * 3_600_000);
    expect(token).not.toContain(west.key);
    const session = sessions.authenticate({ cookie: cookieOf(token) }, now + 1_000);
    expect(session.operator.maySee('bergen')).toBe(true);
    expect(session.operator.maySee('tromso')).toBe(false);
    expect(refusal(() => sessions.authenticate({ cookie: cookieOf(token) }, expiresAt + 1_000))).toContain(
      'The session has ended',
    );
  });

  it('accepts a session signed by another instance with the same secret, and no other', () => {
    const { token } = sessionsOf(config()).signIn(west.key, now);
    expect(sessionsOf(config()).authenticate({ cookie: cookieOf(token) }, now).operator.id).toBe('west');
    const other = sessionsOf(config({ DASHBOARD_SESSION_SECRET: 't'.repeat(32) }));
    expect(() => other.authenticate({ cookie: cookieOf(token) }, now)).toThrow(OperatorNotAuthenticatedError);
  });

  it('refuses a forged or altered session: another operator, a later expiry, a changed MAC', () => {
    const sessions = sessionsOf(config());
    const { token } = sessions.signIn(west.key, now);
    const [id, expires, mac] = token.split('.') as [string, string, string];
    for (const forged of [
      `all.${expires}.${mac}`,
      `${id}.${Number(expires) + 3_600}.${mac}`,
      `${id}.${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `${id}.${expires}`,
      // As many characters as the MAC but more bytes: refused, not an error.
      `${id}.${expires}.${'é'.repeat(mac.length)}`,
      '',
    ])
      expect(() => sessions.authenticate({ cookie: cookieOf(forged) }, now)).toThrow(OperatorNotAuthenticatedError);
    expect(refusal(() => sessions.authenticate({}, now))).toContain('Sign in with an operator key');
  });

  it('ends the sessions of a key that was changed or removed', () => {
    const sessions = sessionsOf(config());
    const signedIn = sessions.signIn(west.key, now);
    const renewed = testOperator('west', 'bergen');
    writeOperatorsFile(file, [renewed, all]);
    sessions.replace(loadOperators(file));
    expect(sessions.holds(signedIn, now)).toBe(false);
    expect(refusal(() => sessions.authenticate({ cookie: cookieOf(signedIn.token) }, now))).toContain('sign in again');
    expect(refusal(() => sessions.signIn(west.key, now))).toContain('Unknown operator key');
    expect(sessions.signIn(renewed.key, now).operator.id).toBe('west');
  });

  it('takes a bearer key as scripts send it', () => {
    const sessions = sessionsOf(config());
    expect(sessions.authenticate({ authorization: `Bearer ${all.key}` }, now).operator.stores).toBe('*');
    expect(refusal(() => sessions.authenticate({ authorization: 'Bearer op_nobody' }, now))).toContain(
      'Unknown operator key',
    );
  });

  it('lets nobody in without OPERATORS_FILE, and says why', () => {
    const sessions = sessionsOf(config({ OPERATORS_FILE: '' }));
    expect(refusal(() => sessions.signIn(all.key, now))).toContain(
      'No operator keys are configured: set OPERATORS_FILE',
    );
  });

  it('refuses a broken operator file at start-up, naming OPERATORS_FILE and the entry', () => {
    const problems = (content: string | undefined) => {
      const broken = path.join(dir, `broken-${Math.random()}.json`);
      if (content !== undefined) writeFileSync(broken, content);
      try {
        loadOperators(broken);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
    };
    expect(problems(undefined)[0]).toMatch(
      /^OPERATORS_FILE .* does not exist: make entries with `npm run operator-key`/,
    );
    expect(problems('[]')[0]).toMatch(/must be a JSON object/);
    expect(problems('{"operators":[{"id":"a b","keySha256":"x","stores":[]}]}').join('\n')).toMatch(
      /id: 1-64 letters[\s\S]*keySha256: 64 lower-case hex digits[\s\S]*stores/,
    );
    const twice = JSON.stringify({
      operators: [1, 2].map(() => ({ id: 'a', keySha256: 'a'.repeat(64), stores: ['*'] })),
    });
    expect(problems(twice)[0]).toMatch(/operator a or its key appears twice/);
  });

  it('refuses a session secret shorter than 32 characters', () => {
    expect(() => config({ DASHBOARD_SESSION_SECRET: 'short' })).toThrow(/DASHBOARD_SESSION_SECRET must be at least 32/);
  });
});
