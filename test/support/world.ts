import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readState, SqliteEventStore } from '@app/event-store';
import { isOpen, paymentDecider, terminalDecider, type PaymentState } from '@app/payment-domain';
import { localDate } from '@app/payment-domain';
import { freePort, startApp, waitUntil, type AppName, type RunningApp } from './app-process';
import { scanLogs, type LogLeak } from './log-scan';
import { bearer, HQ, writePosClients } from './pos-clients';
import { bucketContents, foldFromScratch, NATS_URL, removeNatsState, uniquePrefix } from './projections';
import { documentProblem } from '../../apps/projections/src/read-models/document-schemas';

/**
 * The whole engine as built processes (simulator, ingest, projections, command service) over one SQLite
 * file, for the runs that break things on purpose (the chaos run, restarts of the world): POS traffic,
 * restarting an app where its callers expect it, and the final account against the simulator's ground
 * truth.
 */

export interface Terminal {
  readonly storeId: string;
  readonly terminalId: string;
}

type EngineApp = 'simulator' | 'ingest' | 'projections' | 'command' | 'engine';
/** The engine's processes, each of which may be killed and restarted. */
export type EngineProcess = Exclude<EngineApp, 'simulator'>;
const APP_NAMES: Readonly<Record<EngineApp, AppName>> = {
  simulator: 'dintero-simulator',
  ingest: 'ingest-service',
  projections: 'projections',
  command: 'command-service',
  engine: 'engine',
};
/** The port variable of each app inside the one-process engine. */
const PORT_VARIABLES = {
  ingest: 'INGEST_SERVICE_PORT',
  projections: 'PROJECTIONS_PORT',
  command: 'COMMAND_SERVICE_PORT',
};

// The simulator's amount table: captured (00-03), declined (05, 51), cancelled by the customer (10),
// failed (20), on hold then captured (40), authorised then captured by Dintero (45). Not 30 or 50: those wait out
// a session's expiry or stay unknown.
const ENDINGS = [0, 0, 0, 0, 1, 2, 3, 5, 51, 10, 20, 40, 45];
const TX_STATUS: Readonly<Record<string, PaymentState['status']>> = {
  CAPTURED: 'captured',
  PARTIALLY_REFUNDED: 'captured',
  REFUNDED: 'captured',
  DECLINED: 'declined',
  FAILED: 'failed',
};

/**
 * The chain's stores take these time zones in turn: east of UTC+12 and west of UTC−10, where a store's day is
 * furthest from UTC's and a fact dated by the wrong clock lands on the wrong day.
 */
const TIME_ZONES = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC', 'Europe/Oslo'];

interface GroundTruth {
  transactions: {
    id: string;
    paymentId: string;
    storeId: string;
    status: string;
    captured: number;
    refunded: number;
    createdAt: string;
    /** Dintero's time of the capture, and of each refund (by our reference). */
    capturedAt?: string;
    refunds: { reference?: string; amount: number; success: boolean; at: string }[];
  }[];
}

/** How the refund races went: two refunds at once on one payment, on two terminals of its store. */
export interface RefundRaces {
  readonly races: number;
  readonly succeeded: number;
  readonly refused: number;
  /** Races in which both refunds were taken (each 60% of the capture): none may be. */
  readonly bothTaken: number;
}

export interface Traffic {
  readonly accepted: string[];
  /** Every payment a POS learned of (accepted, or refused by Dintero): none may be missing (issue 19). */
  readonly known: string[];
  readonly counts: { unknownAtStart: number; busy: number; retried: number };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class World {
  /** The running processes: the simulator, and either the three apps apart or `engine` (one process). */
  readonly apps = {} as Partial<Record<EngineApp, RunningApp>>;
  /** Instances killed along the way: their logs are scanned too. */
  readonly retired: RunningApp[] = [];
  readonly kills: Partial<Record<EngineApp, number>> = {};
  private readonly ports = {} as Record<EngineApp, number>;
  /** Each registered store's time zone. */
  private readonly timeZones = new Map<string, string>();
  private readonly env: Record<string, string>;

  private constructor(
    readonly dir: string,
    readonly prefix: string,
    readonly natsUrl: string,
    /** The command service, ingest and projections as one process (`apps/engine`), as `npm start` runs them. */
    readonly oneProcess: boolean,
  ) {
    this.env = {
      EVENT_STORE_URL: `sqlite:${this.file}`,
      NATS_URL: natsUrl,
      NATS_PREFIX: prefix,
      // Every request and fact logged, for the scan at the end.
      LOG_LEVEL: 'info',
      // Every POS of the run shares one key and one address.
      HTTP_RATE_LIMIT_PER_MINUTE: '0',
      // The one-process engine's ingest takes its own (`INGEST_HTTP_…`).
      INGEST_HTTP_RATE_LIMIT_PER_MINUTE: '0',
      NATS_RATE_LIMIT_PER_MINUTE: '0',
      DINTERO_CALLBACK_SECRET: 'world-callback-secret',
      DINTERO_WEBHOOK_SECRET: 'world-webhook-secret',
    };
  }

  get file(): string {
    return path.join(this.dir, 'events.db');
  }

  static async start(options: { natsUrl?: string; seed?: string; oneProcess?: boolean } = {}): Promise<World> {
    const world = new World(
      mkdtempSync(path.join(tmpdir(), 'world-')),
      uniquePrefix(),
      options.natsUrl ?? NATS_URL,
      options.oneProcess ?? false,
    );
    for (const app of Object.keys(APP_NAMES) as EngineApp[]) world.ports[app] = await freePort();
    world.apps.simulator = await startApp(
      'dintero-simulator',
      {
        DINTERO_CALLBACK_SECRET: world.env.DINTERO_CALLBACK_SECRET!,
        SIM_TERMINAL_DELAY_MS: '100',
        SIM_HOLD_MS: '300',
        SIM_CAPTURE_DELAY_MS: '300',
        SIM_RETRY_BASE_MS: '200',
        SIM_SEED: options.seed ?? '7',
      },
      30_000,
      world.ports.simulator,
    );
    if (world.oneProcess) world.apps.engine = await world.startEngineApp('engine');
    else
      for (const app of ['ingest', 'projections', 'command'] as const)
        world.apps[app] = await world.startEngineApp(app);
    return world;
  }

  private url(app: EngineApp): string {
    return `http://127.0.0.1:${this.ports[app]}`;
  }

  private startEngineApp(app: Exclude<EngineApp, 'simulator'>): Promise<RunningApp> {
    const dintero = { DINTERO_API_URL: this.url('simulator'), DINTERO_CHECKOUT_URL: this.url('simulator') };
    const own: Record<Exclude<typeof app, 'engine'>, Record<string, string>> = {
      ingest: {
        ...dintero,
        RECONCILER_INTERVAL_MS: '200',
        RECONCILER_GRACE_SECONDS: '1',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '1',
        RECONCILER_MAX_PER_SECOND: '500',
      },
      projections: {},
      command: {
        ...dintero,
        POS_CLIENTS_FILE: writePosClients(this.dir),
        INGEST_PUBLIC_URL: this.url('ingest'),
        SESSION_TTL_SECONDS: '10',
        // Claims lapse 30 s after they are taken: a refund cut off by a kill is settled within the run.
        CLAIM_MARGIN_SECONDS: '20',
        // A request cut off by a kill is resumed by the POS's retry 5 s after it began.
        IDEMPOTENCY_LEASE_SECONDS: '5',
      },
    };
    if (app !== 'engine') return startApp(APP_NAMES[app], { ...this.env, ...own[app] }, 30_000, this.ports[app]);
    // One process, each app on its own port; it is healthy once the command service (started last) answers.
    const ports = Object.fromEntries(
      (Object.keys(PORT_VARIABLES) as (keyof typeof PORT_VARIABLES)[]).map((name) => [
        PORT_VARIABLES[name],
        String(this.ports[name]),
      ]),
    );
    return startApp(
      'engine',
      { ...this.env, ...own.ingest, ...own.projections, ...own.command, ...ports },
      30_000,
      this.ports.command,
    );
  }

  /** SIGKILL, then the same app again on the same port. */
  async kill(app: EngineProcess, restartAfterMs = 0): Promise<void> {
    const running = this.apps[app];
    if (!running) throw new Error(`${app} is not one of this world's processes`);
    running.process.kill('SIGKILL');
    await running.exited;
    this.kills[app] = (this.kills[app] ?? 0) + 1;
    this.retired.push(running);
    if (restartAfterMs > 0) await pause(restartAfterMs);
    this.apps[app] = await this.startEngineApp(app);
  }

  async sim<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url('simulator')}/_control${route}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (response.status >= 300) throw new Error(`simulator ${route}: ${response.status} ${await response.text()}`);
    return (await response.json().catch(() => undefined)) as T;
  }

  /**
   * A POS request, retried as a POS would while the command service does not answer, answers 5xx, or says
   * the first request with this key is still running (the same Idempotency-Key each time, never a new one:
   * a request cut off by a crash is resumed by its retry): the first other answer, or a failure after a minute.
   */
  async pos(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
    onRetry: () => void = () => undefined,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await fetch(`${this.url('command')}${route}`, {
        method,
        headers: { ...bearer(), 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }),
        () => undefined,
      );
      const inProgress = answer?.status === 409 && answer.body.code === 'IDEMPOTENT_REQUEST_IN_PROGRESS';
      if (answer && answer.status < 500 && !inProgress) return answer;
      if (Date.now() > deadline) throw new Error(`${method} ${route}: ${answer ? answer.status : 'no answer'}`);
      onRetry();
      await pause(inProgress ? 500 : 200);
    }
  }

  /** Registers the stores and terminals, here and at the simulator, and subscribes ingest to webhooks. */
  async registerChain(storeCount: number, terminalsPerStore: number): Promise<Terminal[]> {
    const stores = [...Array(storeCount).keys()].map((s) => `w-${s + 1}`);
    const terminals = stores.flatMap((storeId, s) =>
      [...Array(terminalsPerStore).keys()].map((t) => ({ storeId, terminalId: `W-${s + 1}-${t + 1}` })),
    );
    await this.sim('POST', '/seed', {
      payoutDestinations: ['p'],
      stores: stores.map((id) => ({ id, payout_destination_id: 'p' })),
      terminals: terminals.map(({ storeId, terminalId }) => ({ terminal_id: terminalId, store_id: storeId })),
      webhooks: [{ url: `${this.url('ingest')}/v1/dintero/webhooks`, secret: this.env.DINTERO_WEBHOOK_SECRET }],
    });
    for (const [index, storeId] of stores.entries()) {
      const timeZone = TIME_ZONES[index % TIME_ZONES.length]!;
      const answer = await this.pos('PUT', `/v1/stores/${storeId}`, {
        name: storeId,
        payoutDestinationId: 'p',
        timeZone,
        currencies: ['NOK'],
      });
      if (answer.status >= 300) throw new Error(`registering ${storeId}: ${answer.status}`);
      this.timeZones.set(storeId, timeZone);
    }
    for (const { storeId, terminalId } of terminals) {
      const answer = await this.pos('PUT', `/v1/stores/${storeId}/terminals/${terminalId}`, {});
      if (answer.status >= 300) throw new Error(`registering ${terminalId}: ${answer.status}`);
    }
    return terminals;
  }

  /**
   * Each terminal's POS pays, one payment at a time, until `count` payments have been accepted and
   * `keepGoing` says no more.
   */
  async pay(terminals: readonly Terminal[], count: number, keepGoing: () => boolean = () => false): Promise<Traffic> {
    const accepted: string[] = [];
    // Every payment the POS systems learned of: accepted, or refused by Dintero (the 422 names it).
    const known: string[] = [];
    const counts = { unknownAtStart: 0, busy: 0, retried: 0 };
    const retried = () => (counts.retried += 1);
    const posLoop = async ({ storeId, terminalId }: Terminal) => {
      while (accepted.length < count || keepGoing()) {
        const amount =
          100 * (10 + Math.floor(Math.random() * 90)) + ENDINGS[Math.floor(Math.random() * ENDINGS.length)]!;
        const key = randomUUID();
        const body = { storeId, terminalId, amount, currency: 'NOK', merchantReference: key.slice(0, 8) };
        const answer = await this.pos('POST', '/v1/terminal-payments', body, { 'idempotency-key': key }, retried);
        if (answer.status === 409) {
          counts.busy += 1; // the terminal's last claim not released yet
          await pause(100);
          continue;
        }
        if (answer.status === 422) {
          // Dintero refused the session: a definitive failure, recorded, and the payment named.
          const refused = (answer.body.payment as { paymentId?: string } | undefined)?.paymentId;
          if (refused) known.push(refused);
          continue;
        }
        if (answer.status !== 201 && answer.status !== 202)
          throw new Error(`start answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        const paymentId = String(answer.body.paymentId);
        accepted.push(paymentId);
        known.push(paymentId);
        if (answer.status === 202) counts.unknownAtStart += 1;
        for (let final = false; !final;) {
          const waited = await this.pos('GET', `/v1/terminal-payments/${paymentId}?waitFor=final&timeout=20`);
          final = waited.body.final === true;
        }
      }
    };
    await Promise.all(terminals.map(posLoop));
    return { accepted, known, counts };
  }

  /**
   * Refund races: for up to `count` captured payments, two refunds at once, each of 60% of the capture, on two
   * terminals of the payment's store, with keys of their own. The log lets one take the amount; the other is
   * refused (`422`) or, when Dintero's answer was lost, settled by the reconciler. Stores race in parallel, one
   * payment at a time each, so that their terminals are free; a POS retries `409 TERMINAL_BUSY` with its key.
   */
  async refundRaces(terminals: readonly Terminal[], accepted: readonly string[], count: number): Promise<RefundRaces> {
    const byStore = new Map<string, string[]>();
    for (const { storeId, terminalId } of terminals)
      byStore.set(storeId, [...(byStore.get(storeId) ?? []), terminalId]);
    const result = { races: 0, succeeded: 0, refused: 0, bothTaken: 0 };
    const captured: { paymentId: string; storeId: string; amount: number }[] = [];
    for (const paymentId of accepted) {
      if (captured.length >= count) break;
      const { body } = await this.pos('GET', `/v1/terminal-payments/${paymentId}`);
      if (body.status === 'captured')
        captured.push({ paymentId, storeId: String(body.storeId), amount: Number(body.capturedAmount) });
    }
    const refund = async (paymentId: string, terminalId: string, amount: number) => {
      for (;;) {
        // A new key each time the terminal is busy: that 409 is the key's recorded answer, and the same key
        // would get it again for good. pos() itself retries 5xx and lost answers with the same key.
        const answer = await this.pos(
          'POST',
          `/v1/terminal-payments/${paymentId}/refunds`,
          { amount, terminalId },
          { 'idempotency-key': randomUUID() },
        );
        // The terminal still busy with the store's previous race; a refund cut off by a crash is resumed by
        // pos()'s retries with the same key.
        if (answer.status !== 409 || answer.body.code !== 'TERMINAL_BUSY') return answer;
        await pause(200);
      }
    };
    await Promise.all(
      [...byStore].map(async ([storeId, storeTerminals]) => {
        const [first, second] = storeTerminals as [string, string];
        for (const { paymentId, amount } of captured.filter((payment) => payment.storeId === storeId)) {
          const share = Math.ceil(amount * 0.6);
          const answers = await Promise.all([refund(paymentId, first, share), refund(paymentId, second, share)]);
          result.races += 1;
          let taken = 0;
          for (const answer of answers) {
            // 201 with the refund's outcome (succeeded, or failed: Dintero said no); 202 while it is pending at
            // the terminal (Dintero answered 202) or unknown: both settled later.
            if (answer.status === 201 || answer.status === 202) taken += answer.body.status === 'failed' ? 0 : 1;
            else if (answer.status === 422 && answer.body.code === 'REFUND_EXCEEDS_CAPTURED') result.refused += 1;
            else throw new Error(`refund answered ${answer.status}: ${JSON.stringify(answer.body)}`);
          }
          // Per race, not summed over them: one race with both taken is not hidden by another with none.
          result.succeeded += taken;
          if (taken > 1) result.bothTaken += 1;
        }
      }),
    );
    return result;
  }

  /**
   * Waits until every accepted payment is final and every terminal free, then accounts for the run: each
   * simulator transaction once in the log with its final state and amount, the read models equal to a
   * fold from position 0 and to the simulator's captured totals per store and day, and, given what the POS
   * systems learned (`known`), every payment in the log known to the POS that started it. The mismatches.
   */
  async account(
    terminals: readonly Terminal[],
    accepted: readonly string[],
    known?: readonly string[],
  ): Promise<string[]> {
    const log = new SqliteEventStore({ file: this.file });
    try {
      const states = new Map<string, PaymentState>();
      // Final, with every refund's outcome known: a refund cut off by a kill is settled by the reconciler once
      // its terminal claim has lapsed (the cardholder may be at the terminal until then).
      const settled = (state: PaymentState | undefined) =>
        state !== undefined &&
        state.status !== 'none' &&
        !isOpen(state) &&
        (state.status !== 'captured' ||
          Object.values(state.refunds).every((r) => r.status === 'succeeded' || r.status === 'failed'));
      await waitUntil(
        async () => {
          for (const paymentId of accepted) {
            if (settled(states.get(paymentId))) continue;
            states.set(paymentId, (await readState(log, `payment-${paymentId}`, paymentDecider)).state);
          }
          return [...states.values()].every(settled);
        },
        150_000,
        'every payment final, with every refund settled',
      );
      const claimed = async () => {
        const still: string[] = [];
        for (const { terminalId } of terminals)
          if ((await readState(log, `terminal-${terminalId}`, terminalDecider)).state.status === 'claimed')
            still.push(terminalId);
        return still;
      };
      await waitUntil(async () => (await claimed()).length === 0, 60_000, 'every terminal released');
      await this.sim('POST', '/idle');
      return [
        ...(await this.groundTruthMismatches(log, states)),
        ...(await this.readModelMismatches(log, terminals)),
        ...(known ? await this.paymentsUnknownToPos(log, known) : []),
      ];
    } finally {
      await log.close();
    }
  }

  /** Payments the log has that no POS learned of: a crash between the start and its answer lost them. */
  private async paymentsUnknownToPos(log: SqliteEventStore, known: readonly string[]): Promise<string[]> {
    const learned = new Set(known);
    const mismatches: string[] = [];
    for (let after: bigint | undefined; ;) {
      const events = await log.readAll({ ...(after === undefined ? {} : { after }), limit: 10_000 });
      for (const event of events)
        if (event.type === 'PaymentRequested') {
          const { paymentId } = event.data as { paymentId: string };
          if (!learned.has(paymentId)) mismatches.push(`${paymentId}: started, but its POS never learned of it`);
        }
      if (events.length < 10_000) return mismatches;
      after = events.at(-1)!.position;
    }
  }

  private async groundTruthMismatches(log: SqliteEventStore, states: Map<string, PaymentState>): Promise<string[]> {
    const truth = await this.sim<GroundTruth>('GET', '/ground-truth');
    const mismatches: string[] = [];
    for (const tx of truth.transactions) {
      // A start cut off by a kill may have made its session without its POS ever hearing of the payment:
      // the log is asked about every transaction's payment, not only the ones the POS systems accepted.
      const state = states.get(tx.paymentId) ?? (await readState(log, `payment-${tx.paymentId}`, paymentDecider)).state;
      if (!state || state.status === 'none') mismatches.push(`${tx.id}: payment ${tx.paymentId} not in the log`);
      else if (state.transactionId !== tx.id && !Object.hasOwn(state.lateCaptured, tx.id))
        mismatches.push(`${tx.id}: payment ${tx.paymentId} names ${state.transactionId}`);
      else if (state.transactionId !== tx.id && state.lateCaptured[tx.id] !== tx.captured)
        mismatches.push(`${tx.id}: captured ${tx.captured} late, ${state.lateCaptured[tx.id]} in the log`);
      else if (state.transactionId === tx.id && state.status !== TX_STATUS[tx.status])
        mismatches.push(`${tx.id}: ${tx.status} at Dintero, ${state.status} in the log`);
      else if (state.status === 'captured' && state.transactionId === tx.id && state.capturedAmount !== tx.captured)
        mismatches.push(`${tx.id}: captured ${tx.captured}, ${state.capturedAmount} in the log`);
      const events = await log.readStream(`payment-${tx.paymentId}`);
      const captures = events.filter((event) => event.type === 'PaymentCaptured');
      if (tx.captured > 0 && state?.status === 'captured' && state.transactionId === tx.id) {
        if (captures.length !== 1) mismatches.push(`${tx.id}: ${captures.length} PaymentCaptured events`);
        const dinteroAt = (captures[0]?.data as { dinteroAt?: string } | undefined)?.dinteroAt;
        if (dinteroAt !== tx.capturedAt)
          mismatches.push(`${tx.id}: captured at ${tx.capturedAt}, ${dinteroAt} in the log`);
        mismatches.push(...this.refundMismatches(tx, state, events));
      }
    }
    // A payment whose session Dintero never made (an API failure before it took effect) has no transaction.
    const withTransaction = new Set(truth.transactions.map((tx) => tx.paymentId));
    for (const [paymentId, state] of states)
      if (state.status === 'captured' && !withTransaction.has(paymentId))
        mismatches.push(`${paymentId}: captured in the log, no transaction at Dintero`);
    return mismatches;
  }

  /** The refunds Dintero made are the log's succeeded refunds, each with Dintero's time; nothing else succeeded. */
  private refundMismatches(
    tx: GroundTruth['transactions'][number],
    state: Extract<PaymentState, { status: 'captured' }>,
    events: readonly { type: string; data: unknown }[],
  ): string[] {
    const mismatches: string[] = [];
    const succeeded = Object.values(state.refunds).filter((refund) => refund.status === 'succeeded');
    const logged = succeeded.reduce((sum, refund) => sum + refund.amount, 0);
    if (logged !== tx.refunded) mismatches.push(`${tx.id}: refunded ${tx.refunded} at Dintero, ${logged} in the log`);
    const open = Object.values(state.refunds).filter((r) => r.status !== 'succeeded' && r.status !== 'failed');
    if (open.length > 0) mismatches.push(`${tx.id}: ${open.length} refunds without an outcome`);
    for (const refund of succeeded) {
      const atDintero = tx.refunds.find((r) => r.reference === refund.refundId && r.success);
      const recorded = events.find(
        (e) => e.type === 'RefundSucceeded' && (e.data as { refundId: string }).refundId === refund.refundId,
      )?.data as { dinteroAt?: string } | undefined;
      if (!atDintero) mismatches.push(`${tx.id}: refund ${refund.refundId} succeeded in the log, not at Dintero`);
      else if (recorded?.dinteroAt !== undefined && recorded.dinteroAt !== atDintero.at)
        mismatches.push(`${tx.id}: refund ${refund.refundId} at ${atDintero.at}, ${recorded.dinteroAt} in the log`);
    }
    return mismatches;
  }

  private async readModelMismatches(log: SqliteEventStore, terminals: readonly Terminal[]): Promise<string[]> {
    const stores = [...new Set(terminals.map((terminal) => terminal.storeId))];
    const contents = (bucket: 'stores' | 'terminals' | 'storeDays') =>
      bucketContents(this.prefix, bucket, this.natsUrl);
    const scratch = await foldFromScratch(log);
    const sameAsRebuild = async () => {
      const [storeDocs, terminalDocs] = await Promise.all([contents('stores'), contents('terminals')]);
      return (
        stores.every((storeId) => JSON.stringify(storeDocs[storeId]) === JSON.stringify(scratch.store(storeId))) &&
        terminals.every(
          ({ storeId, terminalId }) =>
            JSON.stringify(terminalDocs[`${storeId}.${terminalId}`]) ===
            JSON.stringify(scratch.terminal(storeId, terminalId)),
        )
      );
    };
    // The last restart may still be catching up; what differs after that is a mismatch, listed below.
    await waitUntil(sameAsRebuild, 60_000, 'the read models to catch up').catch(() => undefined);
    const [storeDocs, terminalDocs, dayDocs] = await Promise.all([
      contents('stores'),
      contents('terminals'),
      contents('storeDays'),
    ]);
    const mismatches: string[] = [];
    // Every document a projector wrote, it (or the next one) can read back and fold onto.
    for (const [model, docs] of [
      ['store', storeDocs],
      ['terminal', terminalDocs],
      ['store-day', dayDocs],
    ] as const)
      for (const [key, doc] of Object.entries(docs)) {
        const problem = documentProblem(model, doc);
        if (problem !== undefined) mismatches.push(`${model} ${key}: ${problem}`);
      }
    for (const storeId of stores)
      if (JSON.stringify(storeDocs[storeId]) !== JSON.stringify(scratch.store(storeId)))
        mismatches.push(`store ${storeId}: KV differs from a rebuild`);
    for (const { storeId, terminalId } of terminals)
      if (
        JSON.stringify(terminalDocs[`${storeId}.${terminalId}`]) !==
        JSON.stringify(scratch.terminal(storeId, terminalId))
      )
        mismatches.push(`terminal ${terminalId}: KV differs from a rebuild`);
    // Dintero's totals per store and local day, each capture and refund dated by Dintero's own time in the
    // store's time zone: the business day finance reconciles against.
    const truth = await this.sim<GroundTruth>('GET', '/ground-truth');
    const simTotals = new Map<string, { captured: number; refunded: number }>();
    const add = (storeId: string, at: string, captured: number, refunded: number) => {
      const key = `${storeId}.${localDate(at, this.timeZones.get(storeId) ?? 'UTC')}`;
      const totals = simTotals.get(key) ?? { captured: 0, refunded: 0 };
      simTotals.set(key, { captured: totals.captured + captured, refunded: totals.refunded + refunded });
    };
    for (const tx of truth.transactions) {
      if (tx.captured > 0 && tx.capturedAt) add(tx.storeId, tx.capturedAt, tx.captured, 0);
      for (const refund of tx.refunds) if (refund.success) add(tx.storeId, refund.at, 0, refund.amount);
    }
    for (const [key, doc] of Object.entries(dayDocs)) {
      const [storeId, date] = key.split('.') as [string, string];
      if (JSON.stringify(doc) !== JSON.stringify(scratch.storeDay(storeId, date)))
        mismatches.push(`store day ${key}: KV differs from a rebuild`);
      const day = doc as {
        currencies: Record<string, { capturedAmount: number; refundedAmount: number }>;
        lateCaptures: { amount: number }[];
      };
      const projected =
        (day.currencies.NOK?.capturedAmount ?? 0) + day.lateCaptures.reduce((sum, late) => sum + late.amount, 0);
      const atDintero = simTotals.get(key) ?? { captured: 0, refunded: 0 };
      if (projected !== atDintero.captured)
        mismatches.push(`store day ${key}: ${projected} captured in the read model, ${atDintero.captured} at Dintero`);
      if ((day.currencies.NOK?.refundedAmount ?? 0) !== atDintero.refunded)
        mismatches.push(
          `store day ${key}: ${day.currencies.NOK?.refundedAmount ?? 0} refunded in the read model, ${atDintero.refunded} at Dintero`,
        );
    }
    for (const key of simTotals.keys())
      if (!(key in dayDocs)) mismatches.push(`store day ${key}: missing from the read model`);
    return mismatches;
  }

  /** Every line the engine's apps logged (killed instances too) that gives away a secret, a token or a card. */
  logLeaks(): { leaks: LogLeak[]; lines: number } {
    const engineApps = [this.apps.command, this.apps.ingest, this.apps.projections, this.apps.engine];
    const outputs = [...this.retired, ...engineApps.filter((app) => app !== undefined)].map((app) => ({
      app: app.name,
      output: app.output(),
    }));
    const leaks = scanLogs(outputs, {
      'the POS key': HQ.key,
      'the callback secret': this.env.DINTERO_CALLBACK_SECRET!,
      'the webhook secret': this.env.DINTERO_WEBHOOK_SECRET!,
      'the Dintero client secret': 'simulator-secret',
    });
    return { leaks, lines: outputs.reduce((lines, { output }) => lines + output.split('\n').length, 0) };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.apps).map((app) => app?.stop()));
    rmSync(this.dir, { recursive: true, force: true });
    await removeNatsState(this.prefix, this.natsUrl).catch(() => undefined);
  }
}
