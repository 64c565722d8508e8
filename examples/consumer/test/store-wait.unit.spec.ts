import type { StoreDayDoc } from '../src/payments-consumer.service';
import { untilStoreKnown, type StoreDayAnswer } from '../src/store-wait';

const DAY: StoreDayDoc = { storeId: 'oslo', date: '2026-12-06', currencies: {}, lateCaptures: [] };

/** Asks answering `answers` in turn, the last one again and again; counts the asks. */
function asking(answers: readonly StoreDayAnswer[]) {
  let asked = 0;
  return {
    ask: () => Promise.resolve(answers[Math.min(asked++, answers.length - 1)]!),
    asked: () => asked,
  };
}

describe('the consumer example waiting for its store day (untilStoreKnown)', () => {
  const waits: [StoreDayAnswer['found'], number][] = [];
  const onWait = (missing: StoreDayAnswer, secondsLeft: number) => waits.push([missing.found, secondsLeft]);
  beforeEach(() => waits.splice(0));

  it('asks again while the engine’s read models cannot tell yet (503 READ_MODELS_NOT_READY), then has the day', async () => {
    const notReady: StoreDayAnswer = { found: 'not-ready', detail: 'being rebuilt: ask again' };
    const { ask, asked } = asking([notReady, { found: 'day', day: DAY }]);
    const answer = await untilStoreKnown(ask, { waitSeconds: 60, signal: new AbortController().signal, onWait });
    expect(answer).toEqual({ found: 'day', day: DAY });
    expect(asked()).toBe(2);
    expect(waits).toEqual([['not-ready', 60]]);
  });

  it('says what it waits for once each time that changes, and gives the last answer at the deadline', async () => {
    const { ask } = asking([
      { found: 'no-engine', detail: '503' },
      { found: 'not-ready', detail: 'ask again' },
      { found: 'not-ready', detail: 'ask again' },
    ]);
    const answer = await untilStoreKnown(ask, { waitSeconds: 2, signal: new AbortController().signal, onWait });
    expect(answer).toEqual({ found: 'not-ready', detail: 'ask again' });
    expect(waits.map(([found]) => found)).toEqual(['no-engine', 'not-ready']);
  });

  it('asks once and gives that answer when it may not wait (STORE_WAIT_SECONDS=0)', async () => {
    const { ask, asked } = asking([{ found: 'not-ready', detail: 'ask again' }]);
    const answer = await untilStoreKnown(ask, { waitSeconds: 0, signal: new AbortController().signal, onWait });
    expect(answer.found).toBe('not-ready');
    expect(asked()).toBe(1);
    expect(waits).toEqual([]);
  });
});
