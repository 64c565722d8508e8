/**
 * `npm run pos-key -- <clientId> <store,store|*> [--registry]`: a new POS API key, printed once, and the
 * entry that grants it, for the file named by POS_CLIENTS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, keyCommand, namesWhereTyped, newApiKey, scopedKeyEntryProblems } from '@app/platform';

const USAGE = 'usage: npm run pos-key -- <clientId> <storeId,storeId,...|*> [--registry]';
const command = keyCommand(process.argv.slice(2), {
  usage: USAGE,
  about: [
    'Makes a POS API key, prints it once, and prints the entry to add to the "clients" list of POS_CLIENTS_FILE',
    "(the command service reads the file again within a second). Only the key's hash is in the entry.",
    '  clientId    the POS client: 1-64 letters, digits, "_" or "-"',
    '  stores      the store ids it may use, comma-separated, or "*" for every store',
    '  --registry  it may also register and change its stores and terminals',
  ].join('\n'),
  registry: true,
  // An unquoted `*` is made into file names by the shell, in the folder the command was typed in.
  shellFolder: namesWhereTyped,
});
if ('text' in command) {
  (command.exitCode === 0 ? process.stdout : process.stderr).write(`${command.text}\n`);
  process.exit(command.exitCode);
}
const { id, stores, registry } = command.make;
const key = newApiKey();
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(','), registry };
// The rules of POS_CLIENTS_FILE itself: an entry printed here is one the file accepts.
const problems = scopedKeyEntryProblems(entry);
if (problems.length > 0) {
  process.stderr.write(`${USAGE}\n`);
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`API key for ${id} (shown once; give it to the POS, keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for POS_CLIENTS_FILE's "clients" list:\n  ${JSON.stringify(entry)}\n`);
// `npm run pos-key <client> <stores> --registry` (no `--`): npm takes the flag as its own setting (its package
// registry), and, "true" being no URL, drops it with a warning (none under `-s`), telling the script nothing.
if (!registry)
  process.stderr.write(
    'This key may not register or change stores or terminals. For one that may, put --registry after --, ' +
      `as in npm run pos-key -- ${id} ${stores} --registry (npm keeps a --registry before -- for itself)\n`,
  );
