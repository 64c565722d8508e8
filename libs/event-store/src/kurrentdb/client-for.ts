import { KurrentDBClient, type Credentials } from '@kurrent/kurrentdb-client';
import { InvalidEventStoreInputError } from '../event-store.errors';
import { maskedConnectionString } from './masked-connection-string';

/**
 * The client for `EVENT_STORE_URL`, without its password reaching a log. The client's parser keeps the whole
 * connection string on its `ParseError` (printed in full when start-up fails) and prints it with `console.warn` for
 * an option it does not know: the first is refused here as invalid input naming the masked string, and the second
 * is masked while the client parses (synchronously).
 */
export function clientFor(connectionString: string): KurrentDBClient {
  const masked = maskedConnectionString(connectionString);
  const warn = console.warn;
  console.warn = (...args: unknown[]) =>
    warn(...args.map((arg) => (typeof arg === 'string' ? arg.split(connectionString).join(masked) : arg)));
  try {
    return KurrentDBClient.connectionString(connectionString);
  } catch (error) {
    // Only the parser's error keeps the string (and quotes the part it stopped at, which may be the password); any
    // other (a CA file that is not there, say) says what it is, without it.
    if (!(error instanceof Error) || !('connectionString' in error)) throw error;
    const { expected } = error as { expected?: unknown };
    throw new InvalidEventStoreInputError(
      `EVENT_STORE_URL ${masked} is not a KurrentDB connection string` +
        (typeof expected === 'string' ? `: expected ${expected}` : ''),
    );
  } finally {
    console.warn = warn;
  }
}

/**
 * The user and password of the connection string, as the client's own parser reads them (percent-decoded), for the
 * reads: the client sends appends and subscriptions with those, but hands reads to its native bridge with the raw
 * string, whose parser leaves the password percent-encoded (`p%40ss` for `p@ss`). Given with each read, they are the
 * same on both paths. Undefined when the string names none.
 */
export function credentialsOf(connectionString: string): Credentials | undefined {
  const afterScheme = connectionString.indexOf('://');
  if (afterScheme < 0) return undefined;
  // The client's pattern and split (parseConnectionString.js), so that both read the same user and password.
  const match = /^(?:(?<credentials>[^:]+:[^@]+)@)/.exec(connectionString.slice(afterScheme + 3));
  if (!match?.groups?.credentials) return undefined;
  const [username, password] = match.groups.credentials.trim().split(':');
  return { username: decodeURIComponent(username!), password: decodeURIComponent(password!) };
}
