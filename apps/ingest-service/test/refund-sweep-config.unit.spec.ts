import { ConfigError, loadConfig } from '@app/platform';
import { IngestServiceConfig } from '../src/ingest-service.config';

describe("the refund sweep's settings", () => {
  it('sweeps hourly over 14 days unset, and takes 0 (off) to a day, over 1 to 400 days', () => {
    expect(loadConfig(IngestServiceConfig, {})).toMatchObject({
      reconcilerRefundSweepMinutes: 60,
      reconcilerRefundSweepDays: 14,
    });
    expect(
      loadConfig(IngestServiceConfig, { RECONCILER_REFUND_SWEEP_MINUTES: '0', RECONCILER_REFUND_SWEEP_DAYS: '400' }),
    ).toMatchObject({ reconcilerRefundSweepMinutes: 0, reconcilerRefundSweepDays: 400 });
  });

  it.each([
    ['RECONCILER_REFUND_SWEEP_MINUTES', ['-1', '1441', '1.5', 'hourly']],
    ['RECONCILER_REFUND_SWEEP_DAYS', ['0', '401', '2.5', 'two weeks']],
  ])('refuses any other %s, naming it', (name, bads) => {
    for (const bad of bads) {
      const attempt = () => loadConfig(IngestServiceConfig, { [name]: bad });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(new RegExp(name));
    }
  });
});
