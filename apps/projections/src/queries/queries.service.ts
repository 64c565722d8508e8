import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, natsNames } from '@app/messaging';
import { NatsResponders, parseMessage, replyTo } from '@app/platform';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { ProjectorService } from '../projector/projector.service';
import { emptyStoreDay } from '../read-models/projections/store-day.projection';
import { StoreDayQuery, StoreQuery, TerminalQuery } from './query.messages';
import { readModelsNotReady as notReady } from './read-models-not-ready';

const QUEUE = 'projections';

/**
 * The queries of the NATS contract, answered by request/reply from the read models this instance keeps
 * (as fresh as the KV documents, or one batch ahead). Each reply is `{ status, body }` like the command
 * subjects': 200 and the document, 404 `NOT_FOUND`, 400 `VALIDATION_FAILED`, 503 `READ_MODELS_NOT_READY` while the
 * read models are folded again from the log's start (a replaced log) and may not hold it yet. nats.js directly rather
 * than `@MessagePattern`: the subjects carry the configured prefix, which a decorator's static string cannot. A queue
 * group spreads the queries over the projections instances; an instance joins it only once its read models are loaded
 * (`onApplicationBootstrap`).
 */
@Injectable()
export class QueriesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueriesService.name);
  private readonly responders: NatsResponders;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
    private readonly projector: ProjectorService,
  ) {
    this.responders = new NatsResponders(nats, QUEUE, this.logger);
  }

  /**
   * Joins the queue group once the projector's start has loaded the read models (`ProjectorService.whenLoaded`; the
   * log out of reach as the app starts delays it). A member still loading took its share of the queries only to answer
   * them 503 `READ_MODELS_NOT_READY`, while an instance that had loaded them could have answered; until it joins, NATS
   * gives them to the other instances (with none, the caller is told there are no responders, as when no instance
   * runs). Loaded read models stay loaded, so it leaves the group only as the app stops. Over HTTP the dashboard's 503
   * stays: a load balancer takes the instance out by its `/health`.
   */
  onApplicationBootstrap(): void {
    this.responders.subscribeWhenReady(
      this.projector.loaded,
      this.projector.whenLoaded,
      () => this.subscribe(),
      'could not subscribe to the NATS queries once the read models were loaded',
    );
  }

  private subscribe(): void {
    const { queries } = natsNames(this.config.natsPrefix);
    // Through `models` each time: a rebuild's adoption replaces them.
    const models = () => this.projector.models;
    this.answer(queries.terminal, TerminalQuery, (q) => models().terminal(q.storeId, q.terminalId), 'terminal');
    this.answer(queries.store, StoreQuery, (q) => models().store(q.storeId), 'store');
    // A day out of the projector's memory (older than its window) is read from KV. A known store's day that has
    // no document had nothing on it: its zeros (position "0"), not a not-found, so that a report of every day of
    // a month needs no special case. Only an unknown store is not found.
    this.answer(
      queries.storeDay,
      StoreDayQuery,
      async (q) => {
        const day = await this.projector.storeDay(q.storeId, q.date);
        // A day without a document, while the log is folded from 0, may be one whose events are not folded yet.
        if (day === 'unknown' || (day === 'none' && (await this.projector.mayLackFolded())))
          throw notReady('The read models cannot tell this day now (being rebuilt, or its document unreadable)', q);
        const store = models().store(q.storeId);
        return day !== 'none' ? day : store && emptyStoreDay(q.storeId, q.date, store.timeZone);
      },
      'store',
    );
    this.answer(
      queries.storeTerminals,
      StoreQuery,
      (q) => (models().store(q.storeId) ? models().terminalsOfStore(q.storeId) : undefined),
      'store',
    );
  }

  /** Before the log and NATS close: the requests already taken are answered (`NatsResponders.close`). */
  beforeApplicationShutdown(): Promise<void> {
    return this.responders.close();
  }

  private answer<Query extends object>(
    subject: string,
    schema: new () => Query,
    find: (query: Query) => unknown,
    what: string,
  ): void {
    this.responders.on(subject, (msg) => this.reply(msg, schema, find, what));
  }

  private reply<Query extends object>(
    msg: Msg,
    schema: new () => Query,
    find: (query: Query) => unknown,
    what: string,
  ): Promise<void> {
    return replyTo(
      msg,
      async () => {
        const query = await parseMessage(msg, schema, this.config.bodyLimit);
        const found = await find(query);
        if (found === undefined && (await this.projector.mayLackFolded()))
          throw notReady(`The read models cannot tell this ${what} now (being rebuilt from the log's start)`, query);
        if (found === undefined) throw new HttpException({ code: 'NOT_FOUND', detail: `No such ${what}`, query }, 404);
        return { status: 200, body: found };
      },
      this.logger,
    );
  }
}
