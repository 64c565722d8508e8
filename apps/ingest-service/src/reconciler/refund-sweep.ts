import type { Logger } from '@nestjs/common';
import type { DinteroClient, DinteroTransaction } from '@app/dintero';
import { OutageWarnings, type PaymentMetrics } from '@app/platform';
import type { FactContext, PaymentFacts } from '../facts/payment-facts.service';
import { isPaymentNotInLog } from '../payment-not-in-log.error';
import { madeByThisEngine, type OurOrigin } from '../webhook/our-callback-url';
import type { SettleLeases } from './settle-leases';

/** The one lease of the sweep, among the payments' leases: one instance sweeps at a time. */
export const REFUND_SWEEP_LEASE = 'refund-sweep';
/** Every status Dintero gives a transaction some of whose money went back (§6's status enum). */
export const REFUNDED_STATUSES = ['REFUNDED', 'PARTIALLY_REFUNDED', 'PARTIALLY_CAPTURED_REFUNDED'] as const;
const IN_PERSON = 'seitatech.in_person';
/** Dintero's largest page. */
const PAGE = 100;
/**
 * The share of the reconciler's rate budget kept for a sweep that is due or under way, whatever the due payments
 * want: one request in this many, over the rounds (a page every tenth round when the budget is one request a round).
 */
export const SWEEP_SHARE_DIVISOR = 10;

const CONTEXT: FactContext = { source: 'reconciler', correlationId: 'reconciler-refund-sweep' };

export interface RefundSweepSettings {
  /** Between the starts of two sweeps; 0: never. */
  readonly everyMs: number;
  /** How far back a sweep lists, by the transactions' `created_at`. */
  readonly windowMs: number;
  /** How long the sweep's lease holds without being renewed (`RECONCILER_LEASE_SECONDS`). */
  readonly leaseMs: number;
  /** This engine's origin (`INGEST_PUBLIC_URL`'s): transactions whose callback URL is at another are not taken. */
  readonly ourOrigin: OurOrigin;
}

/** What one sweep saw and did, for its log line. */
export interface RefundSweepSummary {
  readonly since: string;
  pages: number;
  listed: number;
  ours: number;
  recorded: number;
  notInLog: number;
  failed: number;
  /** Rounds in which due payments left it no request of the budget, from when it was due to when it was done. */
  starvedRounds: number;
}

interface Running extends RefundSweepSummary {
  readonly startedAt: number;
  cursor?: string;
}

/**
 * Catches up on refunds made at Dintero (its Backoffice) of this engine's payments when the webhook that tells of
 * them never came (Dintero gave up, the subscription was deleted) and nothing else reads the transaction again.
 *
 * Every `everyMs`, one instance (the holder of the `refund-sweep` lease) lists Dintero's in-person transactions with
 * a refunded status created within the window, newest first, a page of 100 at a time, and hands each one this engine
 * made (its `merchant_reference_2` names a payment and its callback URL is this engine's naming that payment, as the
 * webhook controller decides) to `PaymentFacts.recordTransaction`: the same path as webhooks, so that a refund the log
 * already has, from whichever path, is not recorded again. The listed transaction is recorded as listed: a sweep asks
 * Dintero for pages only, about ceil(refunded transactions in the window / 100) requests, whatever the number of
 * captures. Nothing is kept between sweeps but when the next is due; an interrupted sweep starts again from the newest.
 *
 * A sweep goes on over several reconciler rounds, with what each round's rate budget leaves after the due payments
 * (`step`), and at least its share of the budget (`reserve`), so that a backlog of due payments slows it, never
 * stops it; a round that leaves it nothing is counted and warned of (`starved`). Finished, its instance holds the lease until the next sweep is due, so that the others do not sweep
 * meanwhile; the lease is renewed before each page, so that one taken over by another instance (this one stalled
 * past the lease) is abandoned rather than run twice. As with the payments' leases, correctness does not rest on it.
 */
export class RefundSweep {
  private running: Running | undefined;
  private nextAt: number;
  private readonly waiting: ((summary: RefundSweepSummary) => void)[] = [];
  /**
   * Requests of the budget kept for the sweep, built up round by round while one is pending (`reserve`), in
   * `SWEEP_SHARE_DIVISOR`ths of a request (integers: tenths of a float never quite add up to one).
   */
  private credit = 0;
  /** Rounds the sweep pending now went without a request; warned of once per sweep. */
  private starvedRounds = 0;
  /**
   * Whether this round's `reserve` found a sweep pending. One that fell due after it (its time came, or it was asked
   * for, while the due payments were being looked at) was kept no share this round, so the round did not starve it:
   * it is kept its share from the next round on.
   */
  private shareKept = false;
  /** The time of the round under way (`step`): the clock of the lease's warnings. */
  private roundAt = 0;
  /** The lease's takes and renewals NATS failed, said backing off (`mayList`). */
  private readonly leaseWarnings: OutageWarnings;

  constructor(
    private readonly settings: RefundSweepSettings,
    private readonly dintero: DinteroClient,
    private readonly facts: PaymentFacts,
    private readonly leases: () => SettleLeases | undefined,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
    now: number,
  ) {
    // The first at start: an instance started after one that swept recently finds the lease held, and waits.
    this.nextAt = now;
    this.leaseWarnings = new OutageWarnings(
      logger,
      'the refund sweep lease taken again: NATS answers again',
      () => this.roundAt,
    );
  }

  get enabled(): boolean {
    return this.settings.everyMs > 0;
  }

  /** Starts a sweep at the next round, even off or not yet due; resolves when one this instance runs completes. */
  sweepNow(): Promise<RefundSweepSummary> {
    this.nextAt = 0;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * How many of a round's `budget` requests the due payments must leave to the sweep: while one is due or under way,
   * its share (one in `SWEEP_SHARE_DIVISOR`) builds up round by round, a request at a time, so that due payments taking the whole
   * budget round after round cannot starve it. Nothing is kept while no sweep is pending, and nothing is kept when
   * the due payments leave it more than its share anyway (`step` spends the credit).
   */
  reserve(budget: number, now: number): number {
    this.shareKept = this.pending(now);
    if (!this.shareKept) {
      this.credit = 0;
      return 0;
    }
    const most = Math.ceil(budget / SWEEP_SHARE_DIVISOR) * SWEEP_SHARE_DIVISOR;
    this.credit = Math.min(this.credit + budget, most);
    return Math.min(budget, Math.floor(this.credit / SWEEP_SHARE_DIVISOR));
  }

  /**
   * Lists at most `pages` pages of the sweep under way, or of one that falls due now; called once a round, after
   * `reserve`. A round that leaves a sweep kept a share nothing is counted and warned of (`starved`).
   */
  async step(pages: number, now: number): Promise<void> {
    this.roundAt = now;
    const shareKept = this.shareKept;
    this.shareKept = false;
    if (pages < 1 && !shareKept) return;
    if (this.running && pages < 1) return this.starved();
    // A sweep started this round has just taken the lease; one going on from an earlier round renews it first too.
    let leased = false;
    if (!this.running) {
      if (!this.pending(now)) return;
      // Asked for before the budget is looked at (a NATS request, not Dintero's): a sweep another instance runs is not
      // this one's to be starved of, and a round without budget here counts only for a sweep that is this instance's.
      const lease = await this.mayList();
      if (lease !== 'mine') {
        this.starvedRounds = 0;
        // The instance that swept last stopped, and left the time of the next sweep: not due before it. Asked again
        // a lease later all the same (uncounted): the time is the stopped instance's clock, and the entry may go (the
        // bucket's age) or be taken long before a time that clock put far ahead.
        if (typeof lease === 'number') {
          this.nextAt = Math.min(lease, now + this.settings.leaseMs);
          return;
        }
        // Another instance sweeps, or swept and holds the lease until its next sweep: asked again after a lease.
        this.metrics.refundSweeps.inc({ result: 'leased_elsewhere' });
        this.nextAt = now + this.settings.leaseMs;
        return;
      }
      if (pages < 1) return this.starved();
      const since = new Date(now - this.settings.windowMs).toISOString();
      this.running = {
        startedAt: now,
        since,
        pages: 0,
        listed: 0,
        ours: 0,
        recorded: 0,
        notInLog: 0,
        failed: 0,
        // The rounds it waited, due, for its first request count too: a budget under ten builds the share up over them.
        starvedRounds: this.starvedRounds,
      };
      leased = true;
    }
    for (let page = 0; page < pages && this.running; page++) {
      // Before every page, the first of a round going on too: with one page a round, the lease would otherwise never
      // be renewed, lapse, and be taken by another instance sweeping beside this one.
      if (!(page === 0 && leased) && (await this.mayList()) !== 'mine') return this.abandon(now);
      // A Dintero request spent: the reserved share is used up first.
      this.credit = Math.max(0, this.credit - SWEEP_SHARE_DIVISOR);
      // A page not listed stops the round: the next one lists it again.
      if (!(await this.listPage(this.running, now))) return;
    }
  }

  /** A sweep is due (or asked for) and not started, or under way. */
  private pending(now: number): boolean {
    return this.running !== undefined || (now >= this.nextAt && (this.enabled || this.waiting.length > 0));
  }

  /** A round whose whole budget the due payments took, with a sweep pending: counted, and warned of once a sweep. */
  private starved(): void {
    this.metrics.refundSweepStarvedRounds.inc();
    if (this.running) this.running.starvedRounds++;
    if (this.starvedRounds++ > 0) return;
    this.logger.warn(
      { correlationId: CONTEXT.correlationId, ...(this.running ? { cursor: this.running.cursor } : {}) },
      `refund sweep ${this.running ? 'under way' : 'due'}: due payments took the whole rate budget ` +
        `(RECONCILER_MAX_PER_SECOND) this round; it goes on with its reserved share, a tenth of the budget`,
    );
  }

  /**
   * Whether this instance holds the sweep's lease (taken or renewed: `mine`), another does (`elsewhere`), or the
   * instance that swept last stopped before the next sweep was due, whose time this answers; without NATS it
   * sweeps all the same. That failure is said backing off (`OutageWarnings`): while NATS was gone each page's renewal
   * was a warning, one a round for as long as the sweep went on. The first NATS answers again is said once.
   */
  private async mayList(): Promise<'mine' | 'elsewhere' | number> {
    const leases = this.leases();
    if (!leases) return 'mine';
    const held = async () =>
      (await leases.take(REFUND_SWEEP_LEASE))
        ? 'mine'
        : ((await leases.releasedUntil(REFUND_SWEEP_LEASE)) ?? 'elsewhere');
    const ids = { correlationId: CONTEXT.correlationId };
    return this.leaseWarnings.answerOf(
      held,
      'mine' as const,
      'could not take the refund sweep lease: sweeping anyway',
      ids,
    );
  }

  /** Whether a sweep is under way here (at a stop, its lease is given up at once rather than kept to its time). */
  get sweeping(): boolean {
    return this.running !== undefined;
  }

  private abandon(now: number): void {
    this.metrics.refundSweeps.inc({ result: 'abandoned' });
    this.logger.warn({ correlationId: CONTEXT.correlationId }, 'refund sweep taken over by another instance');
    this.running = undefined;
    this.starvedRounds = 0;
    this.nextAt = now + this.settings.leaseMs;
  }

  /** Lists the sweep's next page; `now` is the round's time, the one the sweep began by and is due by. */
  private async listPage(sweep: Running, now: number): Promise<boolean> {
    let transactions: DinteroTransaction[];
    try {
      transactions = await this.dintero.listTransactions({
        status: REFUNDED_STATUSES,
        paymentProductType: [IN_PERSON],
        createdAtGte: sweep.since,
        limit: PAGE,
        ...(sweep.cursor === undefined ? {} : { startingAfter: sweep.cursor }),
      });
    } catch (error) {
      // Kept where it was: the next round lists the same page again.
      this.metrics.refundSweeps.inc({ result: 'failed' });
      this.logger.warn(
        { correlationId: CONTEXT.correlationId, err: error, cursor: sweep.cursor },
        'refund sweep: could not list a page of refunded transactions; listed again at the next round',
      );
      return false;
    }
    sweep.pages++;
    // Newest first: one created before the window ends the sweep (Dintero filters by `created_at.gte` already).
    const inWindow = transactions.filter((tx) => !tx.created_at || tx.created_at >= sweep.since);
    for (const tx of inWindow) await this.take(sweep, tx);
    sweep.cursor = transactions.at(-1)?.id;
    if (transactions.length < PAGE || inWindow.length < transactions.length) await this.finish(sweep, now);
    return true;
  }

  /** One listed transaction: recorded against its payment when this engine made it. */
  private async take(sweep: Running, tx: DinteroTransaction): Promise<void> {
    sweep.listed++;
    this.metrics.refundSweepTransactions.inc({ result: 'listed' });
    const paymentId = tx.merchant_reference_2;
    if (paymentId === undefined || !madeByThisEngine(tx.url?.callback_url, paymentId, this.settings.ourOrigin)) return;
    sweep.ours++;
    this.metrics.refundSweepTransactions.inc({ result: 'ours' });
    const ids = { correlationId: CONTEXT.correlationId, paymentId, transactionId: tx.id, storeId: tx.store?.id };
    try {
      const { recorded } = await this.facts.recordTransaction(paymentId, tx, CONTEXT);
      if (recorded.length === 0) return;
      sweep.recorded++;
      this.metrics.refundSweepTransactions.inc({ result: 'recorded' });
      this.logger.warn({ ...ids, recorded }, 'refund sweep recorded what no webhook or callback had told');
    } catch (error) {
      // Each is only logged: the next sweep lists it again, for as long as it is in the window.
      const notInLog = isPaymentNotInLog(error);
      if (notInLog) sweep.notInLog++;
      else sweep.failed++;
      this.metrics.refundSweepTransactions.inc({ result: notInLog ? 'not_in_log' : 'failed' });
      this.logger.warn(
        { ...ids, err: error },
        notInLog
          ? 'refund sweep: a transaction this engine made whose payment the log does not have'
          : 'refund sweep: could not record a refunded transaction; the next sweep lists it again',
      );
    }
  }

  private async finish(sweep: Running, now: number): Promise<void> {
    this.running = undefined;
    this.starvedRounds = 0;
    this.nextAt = sweep.startedAt + this.settings.everyMs;
    const { since, pages, listed, ours, recorded, notInLog, failed, starvedRounds } = sweep;
    const summary: RefundSweepSummary = { since, pages, listed, ours, recorded, notInLog, failed, starvedRounds };
    this.metrics.refundSweeps.inc({ result: 'completed' });
    // By the round's clock, as its start and its next time are: the wall clock here set a sweep's start of another
    // clock against this one (a test's fixed time was taken for a sweep that lasted since).
    const line = { correlationId: CONTEXT.correlationId, ...summary, ms: now - sweep.startedAt };
    // Done later than its interval: the next one is already due, and the sweeps fall behind.
    if (now - sweep.startedAt > this.settings.everyMs && this.enabled)
      this.logger.warn(line, 'refund sweep done, later than RECONCILER_REFUND_SWEEP_MINUTES after it began');
    else this.logger.log(line, 'refund sweep done');
    // The others leave the sweep to this instance until the next one is due.
    if (this.enabled)
      await this.leases()
        ?.holdUntil(REFUND_SWEEP_LEASE, this.nextAt)
        .catch((error: unknown) =>
          this.logger.warn(
            { correlationId: CONTEXT.correlationId, err: error },
            'could not hold the refund sweep lease until the next sweep',
          ),
        );
    for (const resolve of this.waiting.splice(0)) resolve(summary);
  }
}
