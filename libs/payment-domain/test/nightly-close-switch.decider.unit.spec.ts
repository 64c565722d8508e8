import { nightlyCloseSwitchDecider, type NightlyCloseSwitchEvent } from '@app/payment-domain';
import { deciderSpec } from './decider-spec';

const spec = deciderSpec(nightlyCloseSwitchDecider);
const at = '2026-12-01T08:00:00.000Z';
const on: NightlyCloseSwitchEvent = { type: 'NightlyCloseSwitched', data: { enabled: true, at } };
const off: NightlyCloseSwitchEvent = { type: 'NightlyCloseSwitched', data: { enabled: false, at } };

describe('the nightly close switched on and off', () => {
  it('records the first switch, whichever it is', () => {
    spec
      .given([])
      .when({ type: 'SwitchNightlyClose', data: { enabled: false, at } })
      .then([off]);
  });

  it('records a change, and nothing when an instance starts as the last one did', () => {
    spec
      .given([on])
      .when({ type: 'SwitchNightlyClose', data: { enabled: false, at } })
      .then([off]);
    spec
      .given([on, off])
      .when({ type: 'SwitchNightlyClose', data: { enabled: false, at } })
      .thenNothing();
  });

  it('refuses a time that is no instant', () => {
    spec
      .given([])
      .when({ type: 'SwitchNightlyClose', data: { enabled: true, at: 'yesterday' } })
      .thenFails('VALIDATION_FAILED', { field: 'at' });
  });
});
