import { CHAOS_PAYMENTS, chaosRun } from './support/chaos-run';

// The apps as separate processes, ingest and projections killed and restarted at random (see chaos-run.ts).
chaosRun({
  layout: 'separate processes',
  oneProcess: false,
  victims: ['ingest', 'projections'],
  payments: CHAOS_PAYMENTS,
  killPauseMs: [2_000, 6_000],
});
