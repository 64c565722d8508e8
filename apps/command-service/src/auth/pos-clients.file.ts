import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsOptional, ValidateNested } from 'class-validator';
import { byKeyHash, readKeyFile, ScopedKeyEntry } from '@app/platform';
import { PosClient } from './pos-client';

export { hashApiKey, newApiKey } from '@app/platform';

class PosClientEntry extends ScopedKeyEntry {
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
  return byKeyHash(
    parsed.clients,
    // A client's old and new key, while it rotates: one client, one Idempotency-Key space.
    { variable: 'POS_CLIENTS_FILE', file, holder: 'client', rotating: true },
    (entry, stores) => new PosClient(entry.id, stores, entry.registry ?? false),
  );
}
