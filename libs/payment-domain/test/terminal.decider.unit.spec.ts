import { terminalDecider, type TerminalEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(terminalDecider);
const claim = {
  terminalId: 'T-1',
  claimId: 'claim-a',
  kind: 'payment' as const,
  paymentId: 'pay-a',
  storeId: 'oslo-center',
  claimedAt: '2026-11-23T10:00:00.000Z',
  expiresAt: '2026-11-23T10:05:00.000Z',
};
const claimed: TerminalEvent = { type: 'TerminalClaimed', data: claim };

describe('terminal claim (invariant 1: one payment per terminal)', () => {
  it('claims a free terminal', () => spec.given([]).when({ type: 'ClaimTerminal', data: claim }).then([claimed]));

  it('refuses a second payment while the claim holds, naming the active payment', () =>
    spec
      .given([claimed])
      .when({
        type: 'ClaimTerminal',
        data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b', claimedAt: '2026-11-23T10:04:59.999Z' },
      })
      .thenFails('TERMINAL_BUSY', { activePaymentId: 'pay-a', busyUntil: claim.expiresAt }));

  it('tells the refused request what to do: the same again, with its key, once the terminal is free', () =>
    spec
      .given([claimed])
      .when({
        type: 'ClaimTerminal',
        data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b', claimedAt: '2026-11-23T10:01:00.000Z' },
      })
      .thenFails(
        'TERMINAL_BUSY',
        { activePaymentId: 'pay-a' },
        /busy with payment pay-a: send the same request again, with the same idempotency key, once it is free/,
      ));

  it('holds the terminal for a terminal operation as for a payment, each way round', () => {
    const operation = { ...claim, claimId: 'op-1', kind: 'operation' as const, paymentId: 'op-1' };
    const busyAt = '2026-11-23T10:01:00.000Z';
    spec
      .given([{ type: 'TerminalClaimed', data: operation }])
      .when({ type: 'ClaimTerminal', data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b', claimedAt: busyAt } })
      .thenFails('TERMINAL_BUSY', { activeKind: 'operation', activeOperationId: 'op-1' });
    spec
      .given([claimed])
      .when({ type: 'ClaimTerminal', data: { ...operation, claimedAt: busyAt } })
      .thenFails('TERMINAL_BUSY', { activeKind: 'payment', activePaymentId: 'pay-a' });
  });

  it('holds the terminal while its device is changed, naming no payment; and a change waits for a payment', () => {
    const change = { ...claim, claimId: 'chg-1', kind: 'device-change' as const, paymentId: 'chg-1' };
    const busyAt = '2026-11-23T10:01:00.000Z';
    spec
      .given([{ type: 'TerminalClaimed', data: change }])
      .when({ type: 'ClaimTerminal', data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b', claimedAt: busyAt } })
      .thenFails('TERMINAL_BUSY', { activeKind: 'device-change', busyUntil: claim.expiresAt });
    let refusal: unknown;
    try {
      terminalDecider.decide(
        { type: 'ClaimTerminal', data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b', claimedAt: busyAt } },
        terminalDecider.evolve(terminalDecider.initialState, { type: 'TerminalClaimed', data: change }),
      );
    } catch (error) {
      refusal = error;
    }
    expect((refusal as { details?: Record<string, unknown> }).details).not.toHaveProperty('activePaymentId');
    spec
      .given([claimed])
      .when({ type: 'ClaimTerminal', data: { ...change, claimedAt: busyAt } })
      .thenFails('TERMINAL_BUSY', { activeKind: 'payment', activePaymentId: 'pay-a' });
  });

  it('treats the same claim again as already made', () =>
    spec.given([claimed]).when({ type: 'ClaimTerminal', data: claim }).thenNothing());

  it('extends a claim made again for longer (a resumed request), and keeps it when made again for less', () => {
    const resumed = { ...claim, claimedAt: '2026-11-23T10:04:50.000Z', expiresAt: '2026-11-23T10:07:50.000Z' };
    spec
      .given([claimed])
      .when({ type: 'ClaimTerminal', data: resumed })
      .then([{ type: 'TerminalClaimed', data: resumed }]);
    spec
      .given([{ type: 'TerminalClaimed', data: resumed }])
      .when({ type: 'ClaimTerminal', data: claim })
      .thenNothing();
    // Extended, it holds the terminal against another payment past the first expiry.
    spec
      .given([claimed, { type: 'TerminalClaimed', data: resumed }])
      .when({
        type: 'ClaimTerminal',
        data: {
          ...claim,
          claimId: 'claim-b',
          paymentId: 'pay-b',
          claimedAt: '2026-11-23T10:06:00.000Z',
          expiresAt: '2026-11-23T10:11:00.000Z',
        },
      })
      .thenFails('TERMINAL_BUSY', { activePaymentId: 'pay-a', busyUntil: resumed.expiresAt });
  });

  it('lets a claim expire, so that a crash never locks a terminal for good', () => {
    const later = {
      ...claim,
      claimId: 'claim-b',
      paymentId: 'pay-b',
      claimedAt: '2026-11-23T10:05:00.000Z',
      expiresAt: '2026-11-23T10:10:00.000Z',
    };
    spec
      .given([claimed])
      .when({ type: 'ClaimTerminal', data: later })
      .then([
        {
          type: 'TerminalReleased',
          data: {
            terminalId: 'T-1',
            claimId: 'claim-a',
            paymentId: 'pay-a',
            storeId: 'oslo-center',
            reason: 'expired',
            at: later.claimedAt,
          },
        },
        { type: 'TerminalClaimed', data: later },
      ]);
  });

  it('releases the claim once, whichever path reports the end first', () => {
    const released: TerminalEvent = {
      type: 'TerminalReleased',
      data: {
        terminalId: 'T-1',
        claimId: 'claim-a',
        paymentId: 'pay-a',
        // The claim's store travels with the release, so that the read models can free the terminal even
        // when no payment was ever recorded behind the claim.
        storeId: 'oslo-center',
        reason: 'finished',
        at: '2026-11-23T10:01:00.000Z',
      },
    };
    const release = {
      type: 'ReleaseTerminal' as const,
      data: { terminalId: 'T-1', claimId: 'claim-a', reason: 'finished' as const, at: '2026-11-23T10:01:00.000Z' },
    };
    spec.given([claimed]).when(release).then([released]);
    spec.given([claimed, released]).when(release).thenNothing();
    spec
      .given([claimed])
      .when({ ...release, data: { ...release.data, claimId: 'someone-else' } })
      .thenNothing();
  });

  it('is free again after a release', () =>
    spec
      .given([
        claimed,
        {
          type: 'TerminalReleased',
          data: { terminalId: 'T-1', claimId: 'claim-a', paymentId: 'pay-a', reason: 'finished', at: claim.claimedAt },
        },
      ])
      .when({ type: 'ClaimTerminal', data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b' } })
      .then([{ type: 'TerminalClaimed', data: { ...claim, claimId: 'claim-b', paymentId: 'pay-b' } }]));

  it('refuses a claim that expires before it is made', () =>
    spec
      .given([])
      .when({ type: 'ClaimTerminal', data: { ...claim, expiresAt: claim.claimedAt } })
      .thenFails('VALIDATION_FAILED'));
});

describe('terminal assignment (the terminal-to-store index)', () => {
  const assign = { terminalId: 'T-1', storeId: 'oslo-center', at: '2026-11-23T09:00:00.000Z' };
  const assigned: TerminalEvent = { type: 'TerminalAssigned', data: assign };

  it('assigns a new terminal to its store', () =>
    spec.given([]).when({ type: 'AssignTerminal', data: assign }).then([assigned]));

  it('treats the same assignment again as already made', () =>
    spec.given([assigned]).when({ type: 'AssignTerminal', data: assign }).thenNothing());

  it('refuses a terminal of another store, naming that store', () =>
    spec
      .given([assigned])
      .when({ type: 'AssignTerminal', data: { ...assign, storeId: 'bergen-1' } })
      .thenFails('TERMINAL_OF_OTHER_STORE', { terminalStoreId: 'oslo-center' }));

  it('refuses a claim for another store than the terminal is assigned to', () =>
    spec
      .given([assigned])
      .when({ type: 'ClaimTerminal', data: { ...claim, storeId: 'bergen-1' } })
      .thenFails('TERMINAL_OF_OTHER_STORE', { terminalStoreId: 'oslo-center' }));

  it('keeps the assignment through claims and releases', () => {
    const released: TerminalEvent = {
      type: 'TerminalReleased',
      data: { terminalId: 'T-1', claimId: 'claim-a', paymentId: 'pay-a', reason: 'finished', at: claim.expiresAt },
    };
    spec
      .given([assigned, claimed, released])
      .when({ type: 'AssignTerminal', data: { ...assign, storeId: 'bergen-1' } })
      .thenFails('TERMINAL_OF_OTHER_STORE');
  });

  it('refuses an assignment with a store id that is not a subject token', () =>
    spec
      .given([])
      .when({ type: 'AssignTerminal', data: { ...assign, storeId: 'oslo center' } })
      .thenFails('VALIDATION_FAILED'));
});
