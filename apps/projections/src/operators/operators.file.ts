import { Type } from 'class-transformer';
import { IsArray, ValidateNested } from 'class-validator';
import { byKeyHash, readKeyFile, ScopedKeyEntry } from '@app/platform';
import { Operator, OperatorKeys } from './operator';

class OperatorsFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ScopedKeyEntry)
  operators!: ScopedKeyEntry[];
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
  const operators = byKeyHash(
    parsed.operators,
    { variable: 'OPERATORS_FILE', file, holder: 'operator' },
    (entry, stores) => new Operator(entry.id, stores, entry.keySha256),
  );
  return new OperatorKeys(operators);
}
