import { parseArgs } from 'node:util';
import { NATS_PREFIX_PATTERN, NATS_PREFIX_RULE } from './nats-names';
import { consumerInboxPrefix, consumerUserConfig } from './nats-permissions';

/**
 * `npm run nats-consumer -- <user> <storeId>... [--commands] [--prefix payments]` (the prefix defaults to
 * NATS_PREFIX, as the apps', else `payments`): prints the `users` entry
 * for deploy/nats/nats-server.conf that lets this consumer read its own stores' read models and changes,
 * and nothing of other stores'. Its password is read from the environment variable NATS_<USER>_PASSWORD.
 * Node's `parseArgs` reads the command line, strictly: a flag it does not know (`--prefx`, `--command`) is refused,
 * where the word after it was taken for a store to grant, or the flag dropped without a word.
 */
const USAGE = 'usage: npm run nats-consumer -- <user> <storeId>... [--commands] [--prefix payments]';
const HELP = [
  USAGE,
  'Prints the `users` entry to add to deploy/nats/nats-server.conf for a consumer of the read models: it may read',
  "its own stores' documents and changes, and nothing of other stores'.",
  '  user        the NATS user; its password is read from NATS_<USER>_PASSWORD',
  '  storeId     each store it may read',
  '  --commands  it may also send the POS commands and queries (a POS system)',
  '  --prefix    the NATS_PREFIX of the engine (default NATS_PREFIX, else payments)',
  'Through npm the words go after --: npm takes --commands and --prefix before it for settings of its own, and with',
  '--prefix looks for package.json in that folder and fails before this command runs. NATS_PREFIX=chain npm run',
  'nats-consumer -- <user> <storeId>... does as --prefix chain.',
].join('\n');

function refuse(problem: string): never {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}

function parsed() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: { commands: { type: 'boolean' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    // Its first sentence ("Unknown option '--prefx'"): the rest explains `--`, of no use here.
    return refuse((error as Error).message.split('. ')[0]!);
  }
}

// `npm run nats-consumer shop-b oslo-1 --commands` (no `--`): npm takes the flag as a setting of its own, with a warning,
// and hands it on only in npm_config_commands: the entry printed would lack the commands asked for. `--prefix chain`
// without `--` cannot be refused here: npm takes it for its own `prefix` (the folder of package.json) and fails,
// finding none in ./chain, before this runs. Given a folder that has this package.json (`--prefix .`), npm runs this
// without the word and with npm_config_prefix set to that folder, as `npm --prefix <folder> run nats-consumer` does,
// rightly: the two cannot be told apart, and the docs show the `--` wherever they give the flag.
if (process.env.npm_config_commands !== undefined)
  refuse(
    'npm took --commands as a setting of its own: the words go after --, as in npm run nats-consumer -- <user> <storeId>... --commands',
  );
const { values, positionals } = parsed();
// `--help` was once an unknown option, refused with Node's advice on passing "--help" as a store.
if (values.help === true) {
  console.log(HELP);
  process.exit(0);
}
// As the apps: `--prefix`, else NATS_PREFIX, else `payments`.
const prefix = values.prefix ?? process.env.NATS_PREFIX ?? 'payments';
if (!NATS_PREFIX_PATTERN.test(prefix)) refuse(`${NATS_PREFIX_RULE}, not ${JSON.stringify(prefix)}`);
const [user, ...stores] = positionals;
if (!user || stores.length === 0) refuse('A user and at least one store are needed.');
const variable = `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
try {
  console.log(consumerUserConfig(prefix, { user, stores, commands: values.commands === true }, variable));
  console.error(`The consumer connects with { user: '${user}', inboxPrefix: '${consumerInboxPrefix(user)}' }.`);
  // nats-server refuses to start, every user with it, on a variable its environment lacks.
  console.error(
    `Its password is ${variable} in nats-server's environment, which must have it before the entry is added: ` +
      'nats-server refuses to start on a variable it lacks. With docker-compose, set it in .env and give it to ' +
      `the nats service in docker-compose.override.yml (services: nats: environment: ${variable}: \${${variable}}).`,
  );
} catch (error) {
  refuse((error as Error).message);
}
