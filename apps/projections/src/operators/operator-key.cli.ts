/**
 * `npm run operator-key -- <operatorId> <store,store|*>`: a new dashboard operator key, printed once, and
 * the entry that grants it, for the file named by OPERATORS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, newApiKey, scopedKeyEntryProblems } from '@app/platform';

const [id = '', stores = '', ...rest] = process.argv.slice(2);
const key = newApiKey('op');
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(',') };
// The rules of OPERATORS_FILE itself: an entry printed here is one the file accepts.
const problems = scopedKeyEntryProblems(entry);
if (rest.length > 0 || problems.length > 0) {
  process.stderr.write('usage: npm run operator-key -- <operatorId> <storeId,storeId,...|*>\n');
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`Dashboard key for ${id} (shown once; keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for OPERATORS_FILE's "operators" list:\n  ${JSON.stringify(entry)}\n`);
