import { writeFileSync } from 'node:fs';
import { hashApiKey, newApiKey } from '@app/platform';

/** A dashboard operator of a test: its id, key and stores (`*` for all). */
export interface TestOperator {
  readonly id: string;
  readonly key: string;
  readonly stores: readonly string[];
}

export function testOperator(id: string, ...stores: string[]): TestOperator {
  return { id, key: newApiKey('op'), stores: stores.length > 0 ? stores : ['*'] };
}

/** Writes OPERATORS_FILE for these operators. */
export function writeOperatorsFile(file: string, operators: readonly TestOperator[]): string {
  const entries = operators.map(({ id, key, stores }) => ({ id, keySha256: hashApiKey(key), stores }));
  writeFileSync(file, `${JSON.stringify({ operators: entries }, null, 2)}\n`);
  return file;
}
