import {
  operationDecider,
  type EndOfDayBatch,
  type OperationEvent,
  type OperationRequestedData,
} from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(operationDecider);
const at = '2026-12-01T22:30:00.000Z';
const requested: OperationRequestedData = {
  operationId: 'op-1',
  storeId: 'oslo',
  terminalId: 'till-1',
  dinteroTerminalId: 'T12345678-T0001',
  operation: 'end_of_day',
  claimId: 'op-1',
  requestedBy: 'nightly-close',
  requestedAt: at,
  expiresAt: '2026-12-01T22:45:00.000Z',
  businessDay: '2026-12-01',
};
const request: OperationEvent = { type: 'OperationRequested', data: requested };
const submitted: OperationEvent = { type: 'OperationSubmitted', data: { operationId: 'op-1', at } };
const dispatched: OperationEvent = {
  type: 'OperationDispatched',
  data: { operationId: 'op-1', dinteroOperationId: 'd-1', at },
};
const batch = { batchId: '000001', purchasesCount: 3, purchasesAmount: 30_000, reversalsCount: 0, reversalsAmount: 0 };
const completed: OperationEvent = {
  type: 'OperationCompleted',
  data: { operationId: 'op-1', dinteroOperationId: 'd-1', batch, at },
};

describe('terminal operation', () => {
  it('is requested once; the same request again records nothing', () => {
    spec.given([]).when({ type: 'RequestOperation', data: requested }).then([request]);
    spec.given([request]).when({ type: 'RequestOperation', data: requested }).thenNothing();
  });
  it('refuses an unknown operation, a bad business day and another operation under the same id', () => {
    spec
      .given([])
      .when({ type: 'RequestOperation', data: { ...requested, operation: 'reboot' as 'end_of_day' } })
      .thenFails('VALIDATION_FAILED', { field: 'operation' });
    spec
      .given([])
      .when({ type: 'RequestOperation', data: { ...requested, businessDay: '1 Dec' } })
      .thenFails('VALIDATION_FAILED', { field: 'businessDay' });
    spec
      .given([request])
      .when({ type: 'RequestOperation', data: { ...requested, operation: 'send_logs' } })
      .thenFails('VALIDATION_FAILED');
  });
  it('is sent (again, after an unknown outcome or a deferral), dispatched once, and completes with the batch', () => {
    spec.given([request]).when({ type: 'SubmitOperation', data: { at } }).then([submitted]);
    spec.given([request, submitted]).when({ type: 'SubmitOperation', data: { at } }).then([submitted]);
    // Dintero took it already: a busy answer to another send of it does not defer it again.
    spec
      .given([request, submitted, dispatched])
      .when({ type: 'DeferOperation', data: { retryAt: '2026-12-01T22:30:05.000Z', at } })
      .thenNothing();
    spec
      .given([request, submitted])
      .when({ type: 'DeferOperation', data: { retryAt: '2026-12-01T22:30:05.000Z', at } })
      .then([{ type: 'OperationDeferred', data: { operationId: 'op-1', retryAt: '2026-12-01T22:30:05.000Z', at } }]);
    spec
      .given([request, submitted])
      .when({ type: 'RecordOperationDispatched', data: { dinteroOperationId: 'd-1', at } })
      .then([dispatched]);
    spec
      .given([request, submitted, dispatched])
      .when({ type: 'RecordOperationDispatched', data: { dinteroOperationId: 'd-1', at } })
      .thenNothing();
    spec.given([request, submitted, dispatched]).when({ type: 'SubmitOperation', data: { at } }).thenNothing();
    spec
      .given([request, submitted, dispatched])
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'completed', batch, at } })
      .then([completed]);
  });
  it('refuses a Dintero time that is not an instant, and batch figures that are not whole numbers, recording nothing', () => {
    // The read models date the close by Dintero's time and count its figures: neither may be kept as given.
    const dispatchedClose = spec.given([request, submitted, dispatched]);
    dispatchedClose
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'completed', batch, at, dinteroAt: 'at noon' } })
      .thenFails('VALIDATION_FAILED', { field: 'dinteroAt' });
    dispatchedClose
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'failed', reason: 'no', at, dinteroAt: 'at noon' } })
      .thenFails('VALIDATION_FAILED', { field: 'dinteroAt' });
    for (const purchasesAmount of ['30000', 300.5, Number.NaN])
      dispatchedClose
        .when({
          type: 'RecordOperationOutcome',
          data: { outcome: 'completed', batch: { ...batch, purchasesAmount: purchasesAmount as number }, at },
        })
        .thenFails('VALIDATION_FAILED', { field: 'batch.purchasesAmount' });
    // The batch's opening dates a first close's window: a time without its offset is read in each host's zone.
    for (const field of ['startOfDayAt', 'lastEndOfDayAt'] as const)
      dispatchedClose
        .when({
          type: 'RecordOperationOutcome',
          data: { outcome: 'completed', batch: { ...batch, [field]: '2026-12-03T08:00:00' }, at },
        })
        .thenFails('VALIDATION_FAILED', { field: `batch.${field}` });
    // A figure named unreadable is one the batch leaves out: shown as unknown, never beside a figure given for it.
    for (const unreadable of [['purchasesCount'], ['batchId'], 'purchasesAmount'])
      dispatchedClose
        .when({
          type: 'RecordOperationOutcome',
          data: { outcome: 'completed', batch: { ...batch, unreadable } as EndOfDayBatch, at },
        })
        .thenFails('VALIDATION_FAILED', { field: 'batch.unreadable' });
    const { purchasesAmount: _unread, ...readable } = batch;
    const unreadSum = { ...readable, unreadable: ['purchasesAmount'] } satisfies EndOfDayBatch;
    dispatchedClose
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'completed', batch: unreadSum, at } })
      .then([{ ...completed, data: { ...completed.data, batch: unreadSum } }]);
    // Nor one that names a day that does not exist, which Date.parse moves to another (30 February is 2 March).
    for (const dinteroAt of ['2026-02-30T10:00:00Z', '2026-11-31T10:00:00Z', '2026-12-03T24:00:00Z'])
      dispatchedClose
        .when({ type: 'RecordOperationOutcome', data: { outcome: 'completed', batch, at, dinteroAt } })
        .thenFails('VALIDATION_FAILED', { field: 'dinteroAt' });
    dispatchedClose
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'completed', batch, at, dinteroAt: at } })
      .then([{ ...completed, data: { ...completed.data, dinteroAt: at } }]);
  });
  it('keeps the first outcome: nothing after it changes anything', () => {
    spec
      .given([request, submitted, dispatched, completed])
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'timed_out', at } })
      .thenNothing();
    spec
      .given([request, submitted, dispatched, completed])
      .when({ type: 'SubmitOperation', data: { at } })
      .thenNothing();
  });
  it('ends failed, timed out, rejected or expired with its reason', () =>
    spec
      .given([request, submitted, dispatched])
      .when({ type: 'RecordOperationOutcome', data: { outcome: 'timed_out', reason: 'no answer', at } })
      .then([
        { type: 'OperationEnded', data: { operationId: 'op-1', outcome: 'timed_out', reason: 'no answer', at } },
      ]));
  it('knows no command for an operation never requested', () =>
    spec.given([]).when({ type: 'SubmitOperation', data: { at } }).thenFails('UNKNOWN_OPERATION'));

  describe('a nightly close given up', () => {
    const givenUp = {
      operationId: 'op-1',
      storeId: 'oslo',
      terminalId: 'till-1',
      businessDay: '2026-12-01',
      attempts: 5,
      reason: 'the terminal reported a failure',
      at,
    };
    const failed: OperationEvent = {
      type: 'OperationEnded',
      data: { operationId: 'op-1', outcome: 'failed', reason: 'the terminal reported a failure', at },
    };
    const event: OperationEvent = { type: 'CloseGivenUp', data: givenUp };
    it('is recorded once: again (a restart, another instance) it records nothing', () => {
      spec.given([request, submitted, dispatched, failed]).when({ type: 'GiveUpClose', data: givenUp }).then([event]);
      spec
        .given([request, submitted, dispatched, failed, event])
        .when({ type: 'GiveUpClose', data: givenUp })
        .thenNothing();
    });
    it('is recorded for an attempt that could not be recorded, once', () => {
      const refused = { ...givenUp, attempts: 1, reason: 'could not be started: TERMINAL_OF_OTHER_STORE' };
      spec
        .given([])
        .when({ type: 'GiveUpClose', data: refused })
        .then([{ type: 'CloseGivenUp', data: refused }]);
      spec
        .given([{ type: 'CloseGivenUp', data: refused }])
        .when({ type: 'GiveUpClose', data: refused })
        .thenNothing();
    });
    it('is not followed by a request of the attempt it was given up at (another instance’s, late)', () => {
      const refused = { ...givenUp, attempts: 1, reason: 'could not be started: the log out of reach' };
      spec
        .given([{ type: 'CloseGivenUp', data: refused }])
        .when({ type: 'RequestOperation', data: requested })
        .thenFails('VALIDATION_FAILED');
    });
    it('is refused for a close under way or completed, and for another terminal’s operation', () => {
      spec
        .given([request, submitted, dispatched])
        .when({ type: 'GiveUpClose', data: givenUp })
        .thenFails('VALIDATION_FAILED');
      spec
        .given([request, submitted, dispatched, completed])
        .when({ type: 'GiveUpClose', data: givenUp })
        .thenFails('VALIDATION_FAILED');
      spec
        .given([request, submitted, dispatched, failed])
        .when({ type: 'GiveUpClose', data: { ...givenUp, terminalId: 'till-2' } })
        .thenFails('VALIDATION_FAILED');
    });
  });

  describe('an attempt of a nightly close claimed on its terminal day’s stream', () => {
    const day = { storeId: 'oslo', terminalId: 'till-1', businessDay: '2026-12-01', at };
    const claim = (attempt: number) => ({ ...day, operationId: `op-${attempt}`, attempt });
    const claimed = (attempt: number): OperationEvent => ({ type: 'CloseAttemptClaimed', data: claim(attempt) });
    const voided: OperationEvent = { type: 'CloseAttemptVoided', data: claim(1) };
    const giveUp = {
      ...day,
      operationId: 'op-1',
      attempts: 1,
      reason: 'the close of 2026-12-02 fell due before it could be tried again (the terminal was busy)',
    };
    const givenUp: OperationEvent = { type: 'CloseGivenUp', data: giveUp };

    it('is claimed once: again (after a busy terminal, another instance) it records nothing', () => {
      spec
        .given([])
        .when({ type: 'ClaimCloseAttempt', data: claim(1) })
        .then([claimed(1)]);
      spec
        .given([claimed(1)])
        .when({ type: 'ClaimCloseAttempt', data: claim(1) })
        .thenNothing();
      spec
        .given([claimed(1)])
        .when({ type: 'ClaimCloseAttempt', data: claim(2) })
        .then([claimed(2)]);
    });
    it('is refused on a day given up, on an operation’s stream, and with a bad attempt', () => {
      spec
        .given([givenUp])
        .when({ type: 'ClaimCloseAttempt', data: claim(1) })
        .thenFails('VALIDATION_FAILED', { givenUp: true });
      spec
        .given([request])
        .when({ type: 'ClaimCloseAttempt', data: claim(1) })
        .thenFails('VALIDATION_FAILED');
      spec
        .given([])
        .when({ type: 'ClaimCloseAttempt', data: { ...claim(1), attempt: 0 } })
        .thenFails('VALIDATION_FAILED', { field: 'attempt' });
    });
    it('keeps the day from being given up until every claimed attempt is settled', () => {
      spec
        .given([claimed(1)])
        .when({ type: 'GiveUpClose', data: giveUp })
        .thenFails('VALIDATION_FAILED', { claimedAttempts: [1] });
      spec
        .given([claimed(1), claimed(2)])
        .when({ type: 'GiveUpClose', data: { ...giveUp, settledAttempts: [1] } })
        .thenFails('VALIDATION_FAILED', { claimedAttempts: [2] });
      // The attempts settled do not go into the give-up.
      spec
        .given([claimed(1)])
        .when({ type: 'GiveUpClose', data: { ...giveUp, settledAttempts: [1] } })
        .then([givenUp]);
      // Given up already: nothing, whatever was claimed.
      spec
        .given([claimed(1), givenUp])
        .when({ type: 'GiveUpClose', data: giveUp })
        .thenNothing();
    });
    it('is voided on its own stream once, unless its request came first, and is never requested after', () => {
      spec
        .given([])
        .when({ type: 'VoidCloseAttempt', data: claim(1) })
        .then([voided]);
      spec
        .given([voided])
        .when({ type: 'VoidCloseAttempt', data: claim(1) })
        .thenNothing();
      spec
        .given([request])
        .when({ type: 'VoidCloseAttempt', data: claim(1) })
        .thenNothing();
      spec.given([voided]).when({ type: 'RequestOperation', data: requested }).thenFails('VALIDATION_FAILED');
    });
  });
});
