import { CHAOS_PAYMENTS, chaosRun } from './support/chaos-run';

// The one-process engine (`apps/engine`, as `npm start` runs it), SIGKILLed whole and restarted at random under
// traffic, with the same account as the chaos run of separate processes (see chaos-run.ts).
chaosRun({
  layout: 'the one-process engine',
  oneProcess: true,
  victims: ['engine'],
  payments: Number(process.env.CHAOS_ENGINE_PAYMENTS ?? Math.ceil(CHAOS_PAYMENTS / 2)),
  // Killing the command service leaves the keys of its requests "in progress": a retry waits 15 s for the
  // first answer, then gets 409 IDEMPOTENT_REQUEST_IN_PROGRESS (resumable keys are issue 19's). Kills closer
  // than that would starve a POS of any answer, so after the first the engine lives 20-30 s at a time.
  killPauseMs: [20_000, 30_000],
});
