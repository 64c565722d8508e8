import { missedDayReason, outOfUseReason, recordedReason } from '../src/fleet/close-give-up-reasons';

const at = (iso: string) => Date.parse(iso);
const day = {
  storeId: 's',
  terminalId: 't',
  businessDay: '2026-12-01',
  key: 's.t.2026-12-01',
  closeAt: at('2026-12-01T22:00:00.000Z'),
  nextCloseAt: at('2026-12-02T22:00:00.000Z'),
};

describe('the reasons a nightly close gives up a day for', () => {
  it('names when and how a terminal out of use at the close time left use, and its last payment or refund', () => {
    const period = {
      from: at('2026-11-01T00:00:00.000Z'),
      until: at('2026-12-01T15:00:00.000Z'),
      endedAs: 'deactivated',
      lastUsedAt: at('2026-12-01T14:00:00.000Z'),
    };
    expect(outOfUseReason('2026-12-01', period)).toBe(
      'out of use at the close time of 2026-12-01: taken out of use at 2026-12-01T15:00:00.000Z (deactivated) after payments or refunds on it since the close time before (the last at 2026-12-01T14:00:00.000Z); its batch was not closed: close it by hand, or its next close takes it should it come back into use',
    );
    // Closed by hand before: what it took after that close.
    expect(outOfUseReason('2026-12-01', period, at('2026-12-01T13:00:00.000Z'))).toBe(
      'out of use at the close time of 2026-12-01: taken out of use at 2026-12-01T15:00:00.000Z (deactivated) after payments or refunds on it since its close by hand at 2026-12-01T13:00:00.000Z (the last at 2026-12-01T14:00:00.000Z); its batch was not closed: close it by hand, or its next close takes it should it come back into use',
    );
  });

  it('says why a day was missed: recorded in use late, taken out of use, or the nightly close not running', () => {
    const recordedLate = { from: at('2026-12-01T21:00:00.000Z'), recordedAfter: day.nextCloseAt };
    expect(missedDayReason({ ...day, inUse: recordedLate })).toBe(
      "missed: the terminal's coming into use at 2026-12-01T21:00:00.000Z, before the close time of 2026-12-01, was recorded only after the close of 2026-12-02 fell due",
    );
    expect(missedDayReason({ ...day, outOfUseAt: at('2026-12-01T23:00:00.000Z') })).toBe(
      'missed: no close of 2026-12-01 was made before the terminal was taken out of use, at 2026-12-01T23:00:00.000Z',
    );
    // Closed by hand before the close time, used again since: what it took after that close is in no close.
    const afterHand = { closedByHandAt: at('2026-12-01T12:00:00.000Z'), lastUsedAt: at('2026-12-01T13:00:00.000Z') };
    expect(missedDayReason({ ...day, outOfUseAt: at('2026-12-01T23:00:00.000Z'), ...afterHand })).toBe(
      'missed: no close of 2026-12-01 was made before the terminal was taken out of use, at 2026-12-01T23:00:00.000Z, after payments or refunds on it since its close by hand at 2026-12-01T12:00:00.000Z (the last at 2026-12-01T13:00:00.000Z)',
    );
    expect(missedDayReason(day)).toBe(
      'missed: no close of 2026-12-01 was made before the close of 2026-12-02 fell due (the nightly close was not running then)',
    );
  });

  it('keeps a recorded reason to 500 characters, the part saying it was found late whole', () => {
    const at = '2026-12-03T00:00:00.000Z';
    expect(recordedReason('refused', false, at)).toBe('refused');
    const long = recordedReason('x'.repeat(600), true, at);
    expect(long).toHaveLength(500);
    expect(long.endsWith(`; found late, at ${at}`)).toBe(true);
  });
});
