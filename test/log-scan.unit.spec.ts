import { passesLuhn, scanLogs } from './support/log-scan';

describe('the log scan of the chaos run', () => {
  const secrets = { 'the POS key': 'pos_test-hq-key', 'the webhook secret': 'webhook-secret-x' };

  it('finds a secret, a bearer token and a card number, naming each', () => {
    const output = [
      '{"level":30,"time":1795495266371,"pid":4242,"msg":"fine"}',
      '{"level":30,"msg":"headers","authorization":"Bearer abcdefgh12345678"}',
      '{"level":50,"msg":"bad","key":"pos_test-hq-key"}',
      '{"level":30,"msg":"card","pan":"4111111111111111"}',
      'plain text webhook-secret-x',
    ].join('\n');
    expect(scanLogs([{ app: 'ingest', output }], secrets).map((leak) => leak.what)).toEqual([
      'a bearer token',
      'the POS key',
      'a card number (411111…)',
      'the webhook secret',
    ]);
  });

  it('leaves masked card numbers, times, process ids and positions alone', () => {
    const output = [
      '{"level":30,"time":1795495266371,"pid":4242,"msg":"captured","maskedPan":"476173******1234"}',
      '{"level":30,"position":"1234567890123","paymentId":"69cf42fa-3c8b-4b04-a61b-4ec2c39c154e"}',
      '{"level":30,"authorization":"[Redacted]"}',
    ].join('\n');
    expect(passesLuhn('1234567890123')).toBe(false);
    expect(scanLogs([{ app: 'projections', output }], secrets)).toEqual([]);
  });
});
