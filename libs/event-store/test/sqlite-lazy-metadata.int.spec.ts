import Database from 'better-sqlite3';
import type { NewEvent } from '@app/event-store';
import { sqliteFile } from './fixtures/sqlite-file';

const { file, open } = sqliteFile('lazy-metadata');

const event = (type: string, n: number): NewEvent => ({ type, data: { n }, metadata: { correlationId: `c-${n}` } });

/**
 * A fold (the projections' rebuild) reads the metadata of almost no event: with `lazyMetadata`, the embedded log
 * parses an event's metadata when it is first read, not with its row. What every consumer sees of such an event is
 * the contract suite's (`reads all for a fold`); here, that a metadata nobody reads is never parsed.
 */
describe('SQLite: a read for a fold (lazyMetadata)', () => {
  it('parses an event’s metadata when it is read, not with its row', async () => {
    await open().append('payment-1', [event('A', 1), event('B', 2)], { expectedRevision: 'no_stream' });
    // B's metadata made text no append could write, by another connection: parsing it throws.
    const db = new Database(file);
    db.prepare(`UPDATE events SET metadata = '{' WHERE type = 'B'`).run();
    db.close();
    const store = open();

    await expect(store.readAll({ streamPrefixes: ['payment-'] })).rejects.toThrow(SyntaxError);
    const [a, b] = await store.readAll({ streamPrefixes: ['payment-'], lazyMetadata: true });
    expect([a?.type, a?.data, b?.type, b?.data]).toEqual(['A', { n: 1 }, 'B', { n: 2 }]);
    expect(a?.metadata).toEqual({ correlationId: 'c-1' });
    expect(() => b?.metadata).toThrow(SyntaxError);
  });
});
