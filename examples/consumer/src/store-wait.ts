import { setTimeout as sleep } from 'node:timers/promises';
import type { StoreDayDoc } from './payments-consumer.service';

/**
 * How long `npm run example:consumer` waits, by default, for an engine to answer and to know the store, in seconds
 * (`STORE_WAIT_SECONDS`). Started beside `npm start`, it meets an engine still building, starting or onboarding
 * its demo chain: npm start gives its apps a minute to come up, and onboards the demo's stores right after.
 */
export const DEFAULT_STORE_WAIT_SECONDS = 60;

/** How often the store's day is asked for again while waiting. */
const ASK_EVERY_MS = 1_000;

/**
 * What one ask of the store's day found: the day, or what is missing so far (an engine, the store, or read models
 * that can tell: 503 `READ_MODELS_NOT_READY` while they are folded again from the log's start).
 */
export type StoreDayAnswer =
  | { readonly found: 'day'; readonly day: StoreDayDoc }
  | { readonly found: 'no-engine'; readonly detail: string }
  | { readonly found: 'no-store' }
  | { readonly found: 'not-ready'; readonly detail: string };

/**
 * Asks (`ask`) until the store's day comes, or `waitSeconds` have run out, or `signal` stops it (Ctrl-C): the last
 * answer. `onWait` is told what it waits for, once each time that changes, with the seconds left.
 */
export async function untilStoreKnown(
  ask: () => Promise<StoreDayAnswer>,
  {
    waitSeconds,
    signal,
    onWait,
  }: { waitSeconds: number; signal: AbortSignal; onWait: (missing: StoreDayAnswer, secondsLeft: number) => void },
): Promise<StoreDayAnswer> {
  const deadline = Date.now() + waitSeconds * 1_000;
  let told: StoreDayAnswer['found'] | undefined;
  for (;;) {
    const answer = await ask();
    if (answer.found === 'day' || Date.now() >= deadline) return answer;
    if (answer.found !== told) onWait(answer, Math.ceil((deadline - Date.now()) / 1_000));
    told = answer.found;
    // Stopped, it asks no more: the connection is drained.
    await sleep(Math.min(ASK_EVERY_MS, deadline - Date.now()), undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return answer;
  }
}
