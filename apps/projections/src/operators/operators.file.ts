import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, Matches, ValidateNested } from 'class-validator';
import { ConfigError, readKeyFile } from '@app/platform';
import { Operator, OperatorKeys } from './operator';

class OperatorEntry {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'id: 1-64 letters, digits, "_" or "-"' })
  id!: string;

  /** SHA-256 of the key, in hex: the key itself is never stored. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'keySha256: 64 lower-case hex digits (npm run operator-key prints it)' })
  keySha256!: string;

  /** Store ids, or `["*"]` for every store. */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,64})$/, { each: true, message: 'stores: store ids, or "*" for every store' })
  stores!: string[];
}

class OperatorsFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OperatorEntry)
  operators!: OperatorEntry[];
}

/**
 * The dashboard's operators (OPERATORS_FILE): a file of their own rather than entries in the POS key file,
 * because a POS key starts payments and an operator key only watches them; neither should open the other.
 */
export function loadOperators(file: string): OperatorKeys {
  const parsed = readKeyFile(
    file,
    'OPERATORS_FILE',
    OperatorsFile,
    'make entries with `npm run operator-key` (see deploy/operators.example.json)',
  );
  const operators = new Map<string, Operator>();
  const ids = new Set<string>();
  for (const entry of parsed.operators) {
    if (ids.has(entry.id) || operators.has(entry.keySha256))
      throw new ConfigError([`OPERATORS_FILE ${file}: operator ${entry.id} or its key appears twice`]);
    ids.add(entry.id);
    const stores = entry.stores.includes('*') ? '*' : new Set(entry.stores);
    operators.set(entry.keySha256, new Operator(entry.id, stores, entry.keySha256));
  }
  return new OperatorKeys(operators);
}
