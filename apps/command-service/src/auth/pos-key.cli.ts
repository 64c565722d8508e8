/**
 * `npm run pos-key -- <clientId> <store,store|*> [--registry]`: a new POS API key, printed once, and the
 * entry that grants it, for the file named by POS_CLIENTS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, newApiKey } from './pos-clients.file';

const [id, stores, ...flags] = process.argv.slice(2);
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const valid = id && stores && ID.test(id) && stores.split(',').every((store) => store === '*' || ID.test(store));
if (!valid || flags.some((flag) => flag !== '--registry')) {
  process.stderr.write('usage: npm run pos-key -- <clientId> <storeId,storeId,...|*> [--registry]\n');
  process.stderr.write('  ids: 1-64 letters, digits, "_" or "-"\n');
  process.exit(2);
}
const key = newApiKey();
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(','), registry: flags.includes('--registry') };
process.stdout.write(`API key for ${id} (shown once; give it to the POS, keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for POS_CLIENTS_FILE's "clients" list:\n  ${JSON.stringify(entry)}\n`);
