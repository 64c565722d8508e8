import { CHAOS_PAYMENTS, chaosRun } from './support/chaos-run';

// The one-process engine (`apps/engine`, as `npm start` runs it), SIGKILLed whole and restarted at random under
// traffic, with the same account as the chaos run of separate processes (see chaos-run.ts).
chaosRun({
  layout: 'the one-process engine',
  oneProcess: true,
  victims: ['engine'],
  payments: Number(process.env.CHAOS_ENGINE_PAYMENTS ?? Math.ceil(CHAOS_PAYMENTS / 2)),
  // A request cut off by a kill is resumed by the POS's retry with the same key once its lease (5 s in the
  // world) has run out; the engine lives 8-15 s at a time, so that each POS gets answers between kills.
  killPauseMs: [8_000, 15_000],
});
