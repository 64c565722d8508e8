import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEventStore } from '@app/event-store';
import { eventStoreContract } from './event-store.contract';

const dir = mkdtempSync(path.join(tmpdir(), 'event-store-contract-'));
let files = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('sqlite', {
  create: async () => createEventStore(`sqlite:${path.join(dir, `events-${files++}.db`)}`),
});
