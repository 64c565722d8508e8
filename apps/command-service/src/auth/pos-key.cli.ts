/**
 * `npm run pos-key -- <clientId> <store,store|*> [--registry]`: a new POS API key, printed once, and the
 * entry that grants it, for the file named by POS_CLIENTS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, newApiKey, scopedKeyEntryProblems } from '@app/platform';

const [id = '', stores = '', ...flags] = process.argv.slice(2);
const key = newApiKey();
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(','), registry: flags.includes('--registry') };
// The rules of POS_CLIENTS_FILE itself: an entry printed here is one the file accepts.
const problems = scopedKeyEntryProblems(entry);
if (flags.some((flag) => flag !== '--registry') || problems.length > 0) {
  process.stderr.write('usage: npm run pos-key -- <clientId> <storeId,storeId,...|*> [--registry]\n');
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`API key for ${id} (shown once; give it to the POS, keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for POS_CLIENTS_FILE's "clients" list:\n  ${JSON.stringify(entry)}\n`);
