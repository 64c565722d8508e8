import { CloseInService } from '../src/fleet/close-in-service';

const at = (iso: string) => Date.parse(iso);
/** A day closing at 22:30 UTC on the 1st, its next day's close a day later. */
const closeAt = at('2026-12-01T22:30:00Z');
const nextCloseAt = at('2026-12-02T22:30:00Z');

describe('whether the nightly close was in service for a day', () => {
  it('is as the last switch before the close time says, when on', () => {
    const service = new CloseInService();
    service.switched(at('2026-11-30T10:00:00Z'), false);
    service.switched(at('2026-12-01T10:00:00Z'), true);
    expect(service.forDay(closeAt, nextCloseAt)).toBe(true);
  });

  it('is off after an instance started off, but for a day the log shows the close at work while it was due', () => {
    const service = new CloseInService();
    service.switched(at('2026-11-30T10:00:00Z'), true);
    service.switched(at('2026-12-01T10:00:00Z'), false);
    expect(service.forDay(closeAt, nextCloseAt)).toBe(false);
    // At work before the day's close time, or at its next day's: not while it was due.
    service.sawAtWork('2026-11-30', '2026-12-01T12:00:00Z');
    service.sawAtWork('2026-12-02', '2026-12-02T22:30:00Z');
    expect(service.forDay(closeAt, nextCloseAt)).toBe(false);
    // A close requested (another terminal's) while it was due: another instance ran it.
    service.sawAtWork('2026-12-01', '2026-12-01T22:31:00Z');
    expect(service.forDay(closeAt, nextCloseAt)).toBe(true);
  });

  it('is on before any switch from the first instant the log shows it at work, as before switches were kept', () => {
    const service = new CloseInService();
    expect(service.forDay(closeAt, nextCloseAt)).toBe(false);
    service.sawAtWork('2026-12-01', '2026-12-01T23:00:00Z');
    // Not at the day's close time (its first close came after): the nightly close's first night, no missed close.
    expect(service.forDay(closeAt, nextCloseAt)).toBe(false);
    service.sawAtWork('2026-11-30', '2026-11-30T22:31:00Z');
    expect(service.forDay(closeAt, nextCloseAt)).toBe(true);
  });

  it('forgets the work of days before those looked back over', () => {
    const service = new CloseInService();
    service.switched(at('2026-11-01T10:00:00Z'), false);
    service.sawAtWork('2026-12-01', '2026-12-01T22:31:00Z');
    service.prune('2026-12-04');
    expect(service.forDay(closeAt, nextCloseAt)).toBe(false);
  });
});
