/**
 * `npm run operator-key -- <operatorId> <store,store|*>`: a new dashboard operator key, printed once, and
 * the entry that grants it, for the file named by OPERATORS_FILE. The key is never stored, only its hash.
 */
import { hashApiKey, keyCommand, namesWhereTyped, newApiKey, scopedKeyEntryProblems } from '@app/platform';

const USAGE = 'usage: npm run operator-key -- <operatorId> <storeId,storeId,...|*>';
const command = keyCommand(process.argv.slice(2), {
  usage: USAGE,
  about: [
    'Makes a dashboard operator key, prints it once, and prints the entry to add to the "operators" list of',
    "OPERATORS_FILE (the projections app reads the file again within a second). Only the key's hash is in the entry.",
    '  operatorId  who signs in: 1-64 letters, digits, "_" or "-"',
    '  stores      the store ids the operator sees, comma-separated, or "*" for every store',
  ].join('\n'),
  // An unquoted `*` is made into file names by the shell, in the folder the command was typed in.
  shellFolder: namesWhereTyped,
});
if ('text' in command) {
  (command.exitCode === 0 ? process.stdout : process.stderr).write(`${command.text}\n`);
  process.exit(command.exitCode);
}
const { id, stores } = command.make;
const key = newApiKey('op');
const entry = { id, keySha256: hashApiKey(key), stores: stores.split(',') };
// The rules of OPERATORS_FILE itself: an entry printed here is one the file accepts.
const problems = scopedKeyEntryProblems(entry);
if (problems.length > 0) {
  process.stderr.write(`${USAGE}\n`);
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
  process.exit(2);
}
process.stdout.write(`Dashboard key for ${id} (shown once; keep it secret):\n  ${key}\n`);
process.stdout.write(`Entry for OPERATORS_FILE's "operators" list:\n  ${JSON.stringify(entry)}\n`);
