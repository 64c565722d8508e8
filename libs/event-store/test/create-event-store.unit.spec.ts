import { inspect } from 'node:util';
import { createEventStore, InvalidEventStoreInputError } from '@app/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('createEventStore on the embedded log', () => {
  it('never loads the KurrentDB client, which only a KurrentDB URL needs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'factory-'));
    try {
      await jest.isolateModulesAsync(async () => {
        jest.doMock('@kurrent/kurrentdb-client', () => {
          throw new Error('the KurrentDB client was loaded');
        });
        const { createEventStore, SqliteEventStore } = await import('@app/event-store');
        const store = createEventStore(`sqlite:${path.join(dir, 'events.db')}`);
        expect(store).toBeInstanceOf(SqliteEventStore);
        await store.close();
        expect(() => createEventStore('kurrentdb://127.0.0.1:2113?tls=false')).toThrow(
          'the KurrentDB client was loaded',
        );
      });
    } finally {
      jest.dontMock('@kurrent/kurrentdb-client');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createEventStore on a KurrentDB URL that is not right', () => {
  it('refuses a bad option value as invalid input, without the password', () => {
    let thrown: unknown;
    try {
      createEventStore('kurrentdb://engine:s3cret@node1:2113?tls=yes');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEventStoreInputError);
    expect((thrown as Error).message).toBe(
      'EVENT_STORE_URL kurrentdb://***@node1:2113?tls=yes is not a KurrentDB connection string: expected true or false',
    );
    expect(inspect(thrown)).not.toContain('s3cret');
  });

  it('refuses a password with a raw "/" (the parser of reads takes it for the path), masked; says what else is wrong as it is', () => {
    for (const url of ['kurrentdb://engine:pa/ss@node1:2113?tls=yes', 'kurrentdb://engine:Zx9/kP2+q7@node1:2113'])
      expect(() => createEventStore(url)).toThrow(
        /^EVENT_STORE_URL kurrentdb:\/\/\*\*\*@node1:2113(\?tls=yes)?: percent-encode its password/,
      );
    expect(() => createEventStore('kurrentdb://engine:pa%2Fss@node1:2113?tls=yes')).toThrow(
      'EVENT_STORE_URL kurrentdb://***@node1:2113?tls=yes is not a KurrentDB connection string: expected true or false',
    );
    // The scheme as the client reads it: any case, after blanks.
    expect(() => createEventStore('KurrentDB://engine:s3cret@node1:2113')).toThrow('KurrentDB://***@node1:2113');
    const missingCa = () =>
      createEventStore('kurrentdb://engine:s3cret@node1:2113?tls=true&tlsCAFile=/nonexistent/ca.crt');
    expect(missingCa).toThrow(/certificate|ca\.crt|ENOENT/i);
    expect(missingCa).not.toThrow(/s3cret/);
  });

  it('warns of an option the client does not know without the password', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const store = createEventStore('kurrentdb://engine:s3cret@node1:2113?tls=false&tlsCertFile=/run/x.crt');
      await store.close();
      const warned = warn.mock.calls.flat().join('\n');
      expect(warned).toContain('Unknown option key "tlsCertFile"');
      expect(warned).toContain('kurrentdb://***@node1:2113');
      expect(warned).not.toContain('s3cret');
    } finally {
      warn.mockRestore();
    }
  });
});
