import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { bufferTime, filter, map, Subject, takeWhile, type Observable } from 'rxjs';
import { NATS_CONNECTION, natsNames } from '@app/messaging';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { OperatorSessions, type OperatorSession } from '../operators/operator-sessions';
import { ProjectorService } from '../projector/projector.service';
import { addDays, localDate } from '@app/payment-domain';
import type { Change, StoreDayDoc, StoreDoc, TerminalDoc } from '../read-models/read-model.types';
import type { ActivityItem } from '../read-models/activity';
import { newestActivity, RecentActivity } from './recent-activity';
import { NOT_LOADED, readModelsNotReady } from '../queries/read-models-not-ready';

/** The header NATS KV puts on a removal, republished with it on the change subject. */
const KV_OPERATION = 'KV-Operation';

/** What the dashboard shows of a store-day before today: its totals, refusals, late captures and closes. */
export type PastDay = Pick<
  StoreDayDoc,
  | 'storeId'
  | 'date'
  | 'currencies'
  | 'counts'
  | 'lateCaptures'
  | 'lateCaptureRefunds'
  | 'refundedElsewhere'
  | 'closes'
  | 'closeMismatches'
  | 'notClosed'
  | 'position'
>;

/** A store as the dashboard shows it: its document, its terminals and its last days. */
export interface DashboardStore {
  readonly store: StoreDoc;
  readonly terminals: readonly TerminalDoc[];
  /** Today's figures (the store's own time zone decides "today"); absent before its first payment. */
  readonly today: StoreDayDoc | undefined;
  /** The days before today of the last `DASHBOARD_DAYS` (those with a document), oldest first. */
  readonly days: readonly PastDay[];
}

/** The dashboard's first view: the viewer's stores, and the latest payments and refunds that ended in them. */
export interface DashboardView {
  readonly stores: readonly DashboardStore[];
  /** Newest first, at most `DASHBOARD_ACTIVITY`. */
  readonly activity: readonly ActivityItem[];
}

/** How many ended payments and refunds the activity list shows. */
export const DASHBOARD_ACTIVITY = 50;

/** How many local days of each store the dashboard shows. */
export const DASHBOARD_DAYS = 7;

/** How often live changes go out, coalesced per document: well inside the dashboard's one second. */
export const DASHBOARD_INTERVAL_MS = 200;

/**
 * What an open dashboard is sent: a document that changed, or an end the projector told of (`activity`: a terminal's
 * document shows only its last payment and refund, and two ends of one terminal may come between two of its writes).
 */
export type DashboardChange = Change | { readonly model: 'activity'; readonly key: string; readonly doc: ActivityItem };

/** A published document as a change; its key (the KV key) comes from the document itself. */
function toChange(model: Change['model'], doc: unknown): Change | undefined {
  const fields = doc as Partial<TerminalDoc & StoreDayDoc>;
  if (typeof fields?.storeId !== 'string' || typeof fields.position !== 'string') return undefined;
  const key =
    model === 'store' ? fields.storeId : `${fields.storeId}.${model === 'terminal' ? fields.terminalId : fields.date}`;
  return { model, key, doc } as Change;
}

/**
 * The live store dashboard's data: a first view from the read models this instance keeps, then every
 * document published on the change subjects of the NATS contract. Through NATS rather than in-process,
 * so that the dashboard of any projections instance shows the changes of whichever instance wrote them;
 * a browser keeps a document only when its `position` is not older than the one it has.
 */
@Injectable()
export class DashboardService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DashboardService.name);
  private readonly changes = new Subject<DashboardChange>();
  private readonly subscriptions: Subscription[] = [];
  private readonly activity = new RecentActivity(DASHBOARD_ACTIVITY);

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
    private readonly projector: ProjectorService,
    private readonly sessions: OperatorSessions,
  ) {}

  onApplicationBootstrap(): void {
    const prefix = this.config.natsPrefix;
    const models: Record<string, Change['model']> = {
      [`${prefix}.v1.store.*`]: 'store',
      [`${prefix}.v1.terminal.*.*`]: 'terminal',
      [`${prefix}.v1.store-day.*.*`]: 'store-day',
    };
    for (const [subject, model] of Object.entries(models)) {
      this.subscriptions.push(
        this.nats.subscribe(subject, {
          callback: (error, msg) => {
            if (error) return this.logger.error({ err: error, subject }, 'NATS subscription failed');
            // A document KV removed (read models of another log replaced, or a rebuild without it adopted).
            if (msg.headers?.get(KV_OPERATION) === 'DEL' || msg.headers?.get(KV_OPERATION) === 'PURGE') return;
            // Store and store-day documents only go to open dashboards; terminals also feed the activity
            // list. With no dashboard open, they are not parsed at all.
            if (model !== 'terminal' && !this.changes.observed) return;
            let change: Change | undefined;
            try {
              change = toChange(model, msg.json());
            } catch {
              change = undefined;
            }
            if (change?.model === 'terminal') this.activity.note(change.doc);
            if (change) this.changes.next(change);
            else this.logger.warn({ subject: msg.subject }, 'skipped a change that is not a read-model document');
          },
        }),
      );
    }
    const activity = natsNames(prefix).changes.activityOfAll;
    this.subscriptions.push(
      this.nats.subscribe(activity, {
        callback: (error, msg) => {
          if (error) return this.logger.error({ err: error, subject: activity }, 'NATS subscription failed');
          const end = activityItemOf(msg);
          if (!end) return this.logger.warn({ subject: msg.subject }, 'skipped an end that is not an activity item');
          this.activity.noteEnds(end.storeId, [end]);
          if (this.changes.observed) this.changes.next({ model: 'activity', key: end.id, doc: end });
        },
      }),
    );
  }

  /**
   * Before the HTTP server closes, which waits for open responses: completing the changes ends every
   * dashboard's event stream, so that an open browser tab does not hold the app's stop forever.
   */
  beforeApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.changes.complete();
  }

  /**
   * 503 `READ_MODELS_NOT_READY` before the projector's start has loaded the read models: a view of no stores would
   * read as a chain with nothing in it.
   */
  refuseUntilLoaded(): void {
    if (!this.projector.loaded) throw readModelsNotReady(NOT_LOADED);
  }

  /**
   * The stores the viewer may see, each with its terminals and days, and the latest ends among them. Kept
   * lean for a chain of hundreds of stores: earlier days without their breakdowns, one activity list. Not before
   * the read models are loaded (`refuseUntilLoaded`).
   */
  snapshot({ operator }: OperatorSession, now = Date.now()): DashboardView {
    this.refuseUntilLoaded();
    const models = this.projector.models;
    const activity: ActivityItem[] = [];
    /** The last days by time zone: a chain's stores share a few. */
    const datesOf = new Map<string, string[]>();
    const stores = models
      .allStores()
      .filter((store) => operator.maySee(store.storeId))
      .sort((a, b) => a.storeId.localeCompare(b.storeId))
      .map((store): DashboardStore => {
        const terminals = models
          .terminalsOfStore(store.storeId)
          .sort((a, b) => a.terminalId.localeCompare(b.terminalId));
        activity.push(...this.activity.candidates(store.storeId, terminals));
        let dates = datesOf.get(store.timeZone);
        if (!dates) datesOf.set(store.timeZone, (dates = lastDays(store.timeZone, now)));
        const today = models.storeDay(store.storeId, dates.at(-1)!);
        const days = dates.slice(0, -1).flatMap((date) => {
          const day = models.storeDay(store.storeId, date);
          if (!day) return [];
          const { storeId, currencies, counts, lateCaptures, lateCaptureRefunds, closes, closeMismatches, notClosed } =
            day;
          const { refundedElsewhere } = day;
          // A day's closes stay: a close that disagrees with the log, or one given up, is a problem to show.
          const closed = closes === undefined ? {} : { closes, closeMismatches };
          return [
            {
              storeId,
              date,
              currencies,
              counts,
              lateCaptures,
              ...(lateCaptureRefunds ? { lateCaptureRefunds } : {}),
              // Money given back at Dintero by none of the engine's refunds: finance must see it on the day.
              ...(refundedElsewhere ? { refundedElsewhere } : {}),
              ...closed,
              ...(notClosed ? { notClosed } : {}),
              position: day.position,
            },
          ];
        });
        return { store, terminals, today, days };
      });
    return { stores, activity: newestActivity(activity, DASHBOARD_ACTIVITY) };
  }

  /**
   * The viewer's changed documents, every `intervalMs` at most, the newest of each document only; filtered
   * here, so that a browser never receives a store it may not see. It ends once the session does (its time
   * is up, or its key was changed or removed), at the next batch.
   */
  live(session: OperatorSession, intervalMs = DASHBOARD_INTERVAL_MS): Observable<DashboardChange[]> {
    return this.changes.pipe(
      bufferTime(intervalMs),
      takeWhile(() => this.sessions.holds(session)),
      // The operator's stores as the file says now: a store taken off it stops reaching an open stream too.
      map((batch) => {
        const operator = this.sessions.current(session);
        return operator ? batch.filter((change) => operator.maySee(change.doc.storeId)) : [];
      }),
      filter((batch) => batch.length > 0),
      map((batch) => {
        const newest = new Map<string, DashboardChange>();
        for (const change of batch) {
          const key = `${change.model}:${change.key}`;
          const held = newest.get(key);
          if (!held || BigInt(held.doc.position) <= BigInt(change.doc.position)) newest.set(key, change);
        }
        return [...newest.values()];
      }),
    );
  }
}

/**
 * The `DASHBOARD_DAYS` local dates up to today in a time zone, oldest first: counted back on the calendar from
 * today's date. Stepping back 24 hours at a time from now skipped the day of a daylight-saving change in the hour
 * after midnight for a week (at 00:30 on 30 March in Oslo, the 29th was 23 hours long and left out).
 */
function lastDays(timeZone: string, now: number): string[] {
  const today = localDate(new Date(now).toISOString(), timeZone);
  return Array.from({ length: DASHBOARD_DAYS }, (_, i) => addDays(today, i - DASHBOARD_DAYS + 1));
}

/** An end on the activity subject as the projector publishes it, or undefined for anything else. */
function activityItemOf(msg: Msg): ActivityItem | undefined {
  try {
    const item = msg.json<Partial<ActivityItem>>();
    const strings = [item.id, item.kind, item.paymentId, item.storeId, item.terminalId, item.status, item.currency];
    const fine =
      strings.every((value) => typeof value === 'string') &&
      typeof item.amount === 'number' &&
      typeof item.at === 'string' &&
      typeof item.position === 'string' &&
      /^\d+$/.test(item.position);
    return fine ? (item as ActivityItem) : undefined;
  } catch {
    return undefined;
  }
}
