import { consumerInboxPrefix, consumerUserConfig } from './nats-permissions';

/**
 * `npm run nats-consumer -- <user> <storeId>... [--commands] [--prefix payments]` (the prefix defaults to
 * NATS_PREFIX, as the apps', else `payments`): prints the `users` entry
 * for deploy/nats/nats-server.conf that lets this consumer read its own stores' read models and changes,
 * and nothing of other stores'. Its password is read from the environment variable NATS_<USER>_PASSWORD.
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const prefixAt = args.indexOf('--prefix');
// As the apps: `--prefix`, else NATS_PREFIX, else `payments`.
const prefix = prefixAt >= 0 ? args[prefixAt + 1] : (process.env.NATS_PREFIX ?? 'payments');
const positional = args.filter((arg, index) => !arg.startsWith('--') && (prefixAt < 0 || index !== prefixAt + 1));
const [user, ...stores] = positional;
if (!user || stores.length === 0 || !prefix) {
  console.error('usage: npm run nats-consumer -- <user> <storeId>... [--commands] [--prefix payments]');
  process.exit(2);
}
const variable = `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
try {
  console.log(consumerUserConfig(prefix, { user, stores, commands: flag('--commands') }, variable));
  console.error(`The consumer connects with { user: '${user}', inboxPrefix: '${consumerInboxPrefix(user)}' }.`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
