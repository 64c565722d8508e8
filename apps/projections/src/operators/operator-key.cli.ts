/**
 * `npm run operator-key -- <operatorId> <store,store|*>`: a new dashboard operator key, printed once, and
 * the entry that grants it, for the file named by OPERATORS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, newApiKey } from '@app/platform';

const [id, stores, ...rest] = process.argv.slice(2);
const ID = /^[A-Za-z0-9_-]{1,64}$/;
if (
  !id ||
  !stores ||
  rest.length > 0 ||
  !ID.test(id) ||
  !stores.split(',').every((store) => store === '*' || ID.test(store))
) {
  process.stderr.write('usage: npm run operator-key -- <operatorId> <storeId,storeId,...|*>\n');
  process.stderr.write('  ids: 1-64 letters, digits, "_" or "-"\n');
  process.exit(2);
}
const key = newApiKey('op');
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(',') };
process.stdout.write(`Dashboard key for ${id} (shown once; keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for OPERATORS_FILE's "operators" list:\n  ${JSON.stringify(entry)}\n`);
