import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsOptional, Matches, ValidateNested } from 'class-validator';
import { ConfigError, readKeyFile } from '@app/platform';
import { PosClient } from './pos-client';

export { hashApiKey, newApiKey } from '@app/platform';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

class PosClientEntry {
  @Matches(TOKEN, { message: 'id: 1-64 letters, digits, "_" or "-"' })
  id!: string;

  /** SHA-256 of the key, in hex: the key itself is never stored. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'keySha256: 64 lower-case hex digits (npm run pos-key prints it)' })
  keySha256!: string;

  /** Store ids, or `["*"]` for every store. */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,64})$/, { each: true, message: 'stores: store ids, or "*" for every store' })
  stores!: string[];

  @IsOptional()
  @IsBoolean()
  registry?: boolean;
}

class PosClientsFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PosClientEntry)
  clients!: PosClientEntry[];
}

/** The POS clients by the hash of their key; any mistake in the file stops the service at start-up. */
export function loadPosClients(file: string): ReadonlyMap<string, PosClient> {
  const parsed = readKeyFile(
    file,
    'POS_CLIENTS_FILE',
    PosClientsFile,
    'make it with `npm run pos-key` (see deploy/pos-clients.example.json)',
  );
  const clients = new Map<string, PosClient>();
  const ids = new Set<string>();
  for (const entry of parsed.clients) {
    if (ids.has(entry.id) || clients.has(entry.keySha256))
      throw new ConfigError([`POS_CLIENTS_FILE ${file}: client ${entry.id} or its key appears twice`]);
    ids.add(entry.id);
    const stores = entry.stores.includes('*') ? '*' : new Set(entry.stores);
    clients.set(entry.keySha256, new PosClient(entry.id, stores, entry.registry ?? false));
  }
  return clients;
}
