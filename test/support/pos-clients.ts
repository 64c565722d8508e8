import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashApiKey } from '../../apps/command-service/src/auth/pos-clients.file';

export interface TestPosClient {
  readonly id: string;
  readonly key: string;
  readonly stores: readonly string[];
  readonly registry?: boolean;
}

/** Head office: every store, and the registry. The default key of the test helpers. */
export const HQ: TestPosClient = { id: 'hq', key: 'pos_test-hq-key', stores: ['*'], registry: true };

/** Writes a POS_CLIENTS_FILE holding these clients (their keys only as hashes) and returns its path. */
export function writePosClients(dir: string, clients: readonly TestPosClient[] = [HQ]): string {
  const file = path.join(dir, 'pos-clients.json');
  const entries = clients.map(({ id, key, stores, registry }) => ({
    id,
    keySha256: hashApiKey(key),
    stores,
    registry: registry ?? false,
  }));
  writeFileSync(file, JSON.stringify({ clients: entries }, null, 2));
  return file;
}

export const bearer = (client: TestPosClient = HQ) => ({ authorization: `Bearer ${client.key}` });
