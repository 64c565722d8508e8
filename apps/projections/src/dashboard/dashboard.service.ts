import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { bufferTime, filter, map, Subject, type Observable } from 'rxjs';
import { NATS_CONNECTION } from '@app/messaging';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { ProjectorService } from '../projector/projector.service';
import type { Change, StoreDayDoc, StoreDoc, TerminalDoc } from '../read-models/read-model.types';

/** A store as the dashboard shows it: its document, its terminals and today's figures. */
export interface DashboardStore {
  readonly store: StoreDoc;
  readonly terminals: readonly TerminalDoc[];
  readonly today: StoreDayDoc | undefined;
}

/** How often live changes go out, coalesced per document: well inside the dashboard's one second. */
export const DASHBOARD_INTERVAL_MS = 200;

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
  private readonly changes = new Subject<Change>();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
    private readonly projector: ProjectorService,
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
            let change: Change | undefined;
            try {
              change = toChange(model, msg.json());
            } catch {
              change = undefined;
            }
            if (change) this.changes.next(change);
            else this.logger.warn({ subject: msg.subject }, 'skipped a change that is not a read-model document');
          },
        }),
      );
    }
  }

  /**
   * Before the HTTP server closes, which waits for open responses: completing the changes ends every
   * dashboard's event stream, so that an open browser tab does not hold the app's stop forever.
   */
  beforeApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.changes.complete();
  }

  /** Every store with its terminals and today's figures (the store's own time zone decides "today"). */
  snapshot(): DashboardStore[] {
    const models = this.projector.models;
    return models
      .allStores()
      .sort((a, b) => a.storeId.localeCompare(b.storeId))
      .map((store) => ({
        store,
        terminals: models.terminalsOfStore(store.storeId).sort((a, b) => a.terminalId.localeCompare(b.terminalId)),
        today: store.today ? models.storeDay(store.storeId, store.today.date) : undefined,
      }));
  }

  /** Changed documents, every `intervalMs` at most, the newest of each document only. */
  live(intervalMs = DASHBOARD_INTERVAL_MS): Observable<Change[]> {
    return this.changes.pipe(
      bufferTime(intervalMs),
      filter((batch) => batch.length > 0),
      map((batch) => {
        const newest = new Map<string, Change>();
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
