import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@app/platform';
import { hashApiKey, loadPosClients, newApiKey } from '../src/auth/pos-clients.file';
import { NotAuthenticatedError, StoreNotAllowedError } from '../src/auth/pos-client';
import { PosCredentials } from '../src/auth/pos-credentials.service';

describe('POS key file', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'pos-clients-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (content: unknown) => {
    const name = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(name, typeof content === 'string' ? content : JSON.stringify(content));
    return name;
  };
  const problemsOf = (content: unknown): string => {
    try {
      loadPosClients(file(content));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems.join('\n');
    }
    throw new Error('the file was accepted');
  };

  it('finds a client by its key, never storing the key', () => {
    const key = newApiKey();
    expect(key).toMatch(/^pos_[A-Za-z0-9_-]{43}$/);
    const clients = loadPosClients(
      file({ clients: [{ id: 'pos-oslo', keySha256: hashApiKey(key), stores: ['oslo-1', 'oslo-2'] }] }),
    );
    const client = new PosCredentials(clients).authenticate(`Bearer ${key}`);
    expect(client).toMatchObject({ id: 'pos-oslo', registry: false });
    expect(client.mayUse('oslo-2')).toBe(true);
    expect(client.mayUse('bergen')).toBe(false);
    expect(() => client.assertStore('bergen')).toThrow(StoreNotAllowedError);
    expect(() => client.assertStore('oslo-1')).not.toThrow();
    expect(() => client.assertRegistry('oslo-1')).toThrow(StoreNotAllowedError);
    // Named as the action refused: the registry's by default, another the right covers when told.
    const detail = (action?: string) => {
      try {
        client.assertRegistry('oslo-1', action);
      } catch (error) {
        return (error as StoreNotAllowedError).getResponse();
      }
      return undefined;
    };
    expect(detail()).toEqual({ code: 'STORE_NOT_ALLOWED', detail: 'POS client pos-oslo may not change the registry' });
    expect(detail('resolve reviews')).toMatchObject({ detail: 'POS client pos-oslo may not resolve reviews' });
    expect(() => new PosCredentials(clients).authenticate(`Bearer ${key}x`)).toThrow(NotAuthenticatedError);
  });

  it('grants every store with "*"', () => {
    const clients = loadPosClients(file({ clients: [{ id: 'hq', keySha256: hashApiKey('k'), stores: ['*'] }] }));
    expect(new PosCredentials(clients).authenticate('Bearer k').mayUse('anywhere')).toBe(true);
  });

  it('takes a client’s old and new key while it rotates: one client, one Idempotency-Key space', () => {
    const entry = (key: string, stores = ['oslo-1', 'oslo-2']) => ({
      id: 'pos-oslo',
      keySha256: hashApiKey(key),
      stores,
      registry: false,
    });
    const clients = loadPosClients(file({ clients: [entry('old-key'), entry('new-key', ['oslo-2', 'oslo-1'])] }));
    const credentials = new PosCredentials(clients);
    for (const key of ['old-key', 'new-key'])
      expect(credentials.authenticate(`Bearer ${key}`)).toMatchObject({ id: 'pos-oslo', registry: false });
    // The same id with other rights is a mistake, not a rotation.
    expect(problemsOf({ clients: [entry('old-key'), entry('new-key', ['oslo-1', 'bergen'])] })).toContain(
      'pos-oslo appears twice with other stores or rights',
    );
    expect(problemsOf({ clients: [entry('old-key'), { ...entry('new-key'), registry: true }] })).toContain(
      'appears twice with other stores or rights',
    );
  });

  it.each([
    ['text that is not JSON', '{clients', 'Expected property name'],
    ['a file without a client list', {}, 'clients'],
    ['a key that is not a SHA-256', { clients: [{ id: 'a', keySha256: 'secret', stores: ['*'] }] }, 'keySha256'],
    ['no stores', { clients: [{ id: 'a', keySha256: hashApiKey('k'), stores: [] }] }, 'stores'],
    ['a store id with a space', { clients: [{ id: 'a', keySha256: hashApiKey('k'), stores: ['a b'] }] }, 'stores'],
    [
      'the same key twice',
      {
        clients: [
          { id: 'a', keySha256: hashApiKey('k'), stores: ['*'] },
          { id: 'b', keySha256: hashApiKey('k'), stores: ['*'] },
        ],
      },
      'appears twice',
    ],
  ])('refuses %s, saying what is wrong', (_case, content, message) => {
    expect(problemsOf(content)).toContain(message);
  });
});
