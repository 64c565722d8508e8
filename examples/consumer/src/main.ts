import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { connect, RequestError } from '@nats-io/transport-node';
import { ConsumerModule } from './consumer.module';
import { PaymentsConsumer, ReadModelsNotReadyError } from './payments-consumer.service';
import { DEFAULT_STORE_WAIT_SECONDS, type StoreDayAnswer, untilStoreKnown } from './store-wait';

/**
 * `npm run example:consumer -- <storeId> <terminalId> [seconds]`: the example consumer against a running
 * engine (`npm start`, whose demo has stores `demo-store-01`… with terminals `DT-01-1`…). It prints the
 * store's day, then each change of the terminal's document and each event of the store as they come, and
 * stops after `seconds` (default: on Ctrl-C). NATS_URL and NATS_PREFIX as the engine's (defaults
 * `nats://127.0.0.1:4222`, `payments`). The date is the UTC one; a store's local day may differ near midnight.
 * Started beside `npm start`, it waits for the engine to answer and to know the store, saying so, for up to
 * STORE_WAIT_SECONDS (60; 0 does not wait), then stops saying which of the two never came.
 */
/**
 * Aborted by a stop signal (Ctrl-C, SIGTERM) or the seconds asked for. What fails after it (a request of the set-up
 * that the stop's drain or close cut short, NATS away or not) is the stop itself: it ends the example with exit code 0.
 */
const stopped = new AbortController();

async function main(): Promise<void> {
  const [storeId, terminalId, seconds] = process.argv.slice(2);
  const waitText = process.env.STORE_WAIT_SECONDS || String(DEFAULT_STORE_WAIT_SECONDS);
  if (!storeId || !terminalId || (seconds !== undefined && !/^\d+$/.test(seconds)) || !/^\d+$/.test(waitText)) {
    process.stderr.write(
      'usage: npm run example:consumer -- <storeId> <terminalId> [seconds]\n' +
        `(STORE_WAIT_SECONDS: a whole number of seconds to wait for the engine and the store, default ${DEFAULT_STORE_WAIT_SECONDS})\n`,
    );
    process.exit(2);
  }
  const waitSeconds = Number(waitText);
  // Connected before Nest starts: a NATS that does not answer is one line saying so, not Nest's stack trace.
  // Reconnects for as long as NATS is away (a restart, an upgrade), as the engine does: nats.js's default gives up
  // after 10 tries 2 s apart, and the watch and the feed would then end without a word.
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const nats = await connect({ ...natsOptions(natsUrl), maxReconnectAttempts: -1 }).catch((error: unknown) => {
    throw new Error(`NATS does not answer at ${withoutCredentials(natsUrl)} (${(error as Error).message})`);
  });
  const prefix = process.env.NATS_PREFIX ?? 'payments';
  const app = await NestFactory.createApplicationContext(ConsumerModule.forRoot({ nats, prefix }), {
    logger: ['error', 'warn'],
  });
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    stopped.abort();
    clearTimeout(timer); // a stop signal before the seconds asked for: nothing left to wait for
    void app.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // A connection closed for good (its credentials refused, say) ends the example saying why, with exit code 1.
  void nats.closed().then((error) => {
    if (stopped.signal.aborted) return;
    console.error(`the example consumer stopped: the NATS connection closed${error ? ` (${error.message})` : ''}`);
    process.exit(1);
  });
  const consumer = app.get(PaymentsConsumer);
  const date = new Date().toISOString().slice(0, 10);
  const ask = async (): Promise<StoreDayAnswer> => {
    try {
      const day = await consumer.storeDay(storeId, date);
      return day === undefined ? { found: 'no-store' } : { found: 'day', day };
    } catch (error) {
      // The engine answers that it cannot tell yet, and to ask again: it is folding its log again from the start.
      if (error instanceof ReadModelsNotReadyError) return { found: 'not-ready', detail: error.detail };
      // Nobody answers the query: no engine runs on this NATS (yet), it has not loaded its read models yet, or it runs
      // under another prefix.
      if (!(error instanceof RequestError && error.isNoResponders())) throw error;
      return { found: 'no-engine', detail: error.message };
    }
  };
  const where = `on ${withoutCredentials(natsUrl)} with NATS_PREFIX=${prefix}`;
  // `npm start` run at the same time builds, starts the engine and onboards its demo stores in its first seconds,
  // or up to a minute on a slow machine: waited for, saying so, where the first answer ended the example.
  const answer = await untilStoreKnown(ask, {
    waitSeconds,
    signal: stopped.signal,
    onWait: (missing, left) => console.error(waitingFor(missing, left, storeId, where)),
  });
  if (stopped.signal.aborted) return;
  const waited = waitSeconds > 0 ? ` after waiting ${waitSeconds} s` : '';
  if (answer.found === 'no-engine')
    throw new Error(
      `no engine answers ${where} (${answer.detail})${waited}: start it (npm start), or set NATS_PREFIX to the one ` +
        'it was started with (npm start prints it)',
    );
  if (answer.found === 'not-ready')
    throw new Error(`the engine's read models could not tell store ${storeId}'s day${waited} (${answer.detail})`);
  // An unknown store (a typo, most likely) would show nothing, ever: said once the wait is over instead.
  if (answer.found === 'no-store')
    throw new Error(
      `the engine knows no store ${storeId}${waited} (npm start's demo has demo-store-01 to demo-store-20, ` +
        'with terminals DT-01-1 to DT-20-4)',
    );
  const { day } = answer;
  console.log(`store-day ${storeId} ${date}: ${JSON.stringify(day.currencies)}`);
  await consumer.watchTerminal(storeId, terminalId, (doc) =>
    console.log(
      `terminal ${doc.storeId}/${doc.terminalId}: ${doc.status}` +
        (doc.lastOutcome
          ? ` (last: ${doc.lastOutcome.status} ${doc.lastOutcome.amount} ${doc.lastOutcome.currency})`
          : ''),
    ),
  );
  await consumer.followStoreEvents(storeId, (event) =>
    console.log(`event ${event.type} on ${event.streamName} at position ${event.position}`),
  );
  if (seconds !== undefined) {
    timer = setTimeout(stop, Number(seconds) * 1000);
  }
}

/** What the example waits for, as the last ask found it, and for how long at most: one line. */
function waitingFor(missing: StoreDayAnswer, secondsLeft: number, storeId: string, where: string): string {
  const upTo = `waiting up to ${secondsLeft} s`;
  const howLong = '(STORE_WAIT_SECONDS sets how long)';
  switch (missing.found) {
    case 'no-engine':
      return `no engine answers ${where} yet: ${upTo} for one ${howLong}`;
    case 'no-store':
      return `the engine knows no store ${storeId} yet: ${upTo} for it ${howLong}`;
    case 'not-ready':
      return `the engine's read models cannot tell store ${storeId}'s day yet (${missing.detail}): ${upTo} ${howLong}`;
    case 'day':
      return `store ${storeId}'s day came`;
  }
}

main().catch((error: unknown) => {
  // The stop under way ends the process once the connection is drained or closed.
  if (stopped.signal.aborted) return;
  console.error(`the example consumer stopped: ${(error as Error).message}`);
  process.exit(1);
});

/**
 * NATS_URL (one URL, or several comma-separated) as nats.js takes it: the servers, and the user and password the
 * URL carries (nats.js does not read them from a URL), percent-decoded. The engine's `natsServers` does the same for
 * its apps; the example imports nothing of the engine's, so that it can be copied out whole.
 */
function natsOptions(url: string): { servers: string[]; user?: string; pass?: string } {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@[^@]+$/i.exec(url.split(',')[0]!.trim())?.[1];
  const servers = withoutCredentials(url)
    .split(',')
    .map((server) => server.trim());
  if (userinfo === undefined) return { servers };
  const colon = userinfo.indexOf(':');
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text; // a lone `%` in a password: taken as it is
    }
  };
  return colon < 0
    ? { servers, user: decoded(userinfo) }
    : { servers, user: decoded(userinfo.slice(0, colon)), pass: decoded(userinfo.slice(colon + 1)) };
}

/** A NATS URL as it may be printed: everything from `://` to the last `@` before the next URL (its credentials). */
function withoutCredentials(url: string): string {
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/)(?:(?![a-z][a-z0-9+.-]*:\/\/).)*@/gi, '$1');
}
