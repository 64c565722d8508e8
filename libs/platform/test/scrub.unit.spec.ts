import { Writable } from 'node:stream';
import pino from 'pino';
import { scrubbed } from '../src/logging/scrub';

/** The lines a pino logger with the apps' formatters writes for `write`. */
function linesOf(write: (logger: pino.Logger) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  write(pino({ formatters: { log: scrubbed } }, sink));
  return lines
    .join('')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('log lines: credentials, signatures and card data are censored at any depth', () => {
  it('censors a field by its name wherever it is, and changes nothing of what was logged', () => {
    const logged = {
      paymentId: 'p-1',
      dintero: { config: { clientSecret: 's3cret', accountId: 'T1' } },
      transaction: { card: { masked_pan: '476173******0010', brand: 'VISA' }, amount: 100 },
      headers: [{ Authorization: 'Bearer abc' }, { accept: 'json' }],
    };
    const before = JSON.stringify(logged);
    const line = scrubbed(logged);
    expect(line).toEqual({
      paymentId: 'p-1',
      dintero: { config: { clientSecret: '[redacted]', accountId: 'T1' } },
      transaction: { card: '[redacted]', amount: 100 },
      headers: [{ Authorization: '[redacted]' }, { accept: 'json' }],
    });
    expect(JSON.stringify(logged)).toBe(before);
    // Only the objects on the way to a censored field are copies.
    expect(line.headers[1]).toBe(logged.headers[1]);
  });

  it('gives back a line with nothing to censor as it is, and leaves a cycle or a non-plain object alone', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const line = { ids: ['a', 'b'], nested: { deep: { deeper: 1 } }, cyclic, when: new Date(0) };
    expect(scrubbed(line)).toBe(line);
    const stream = new Writable();
    expect(scrubbed({ stream })).toEqual({ stream });
  });

  it('censors an error’s own fields and keeps its kind, message and stack', () => {
    class Refused extends Error {
      constructor(readonly body: unknown) {
        super('Dintero refused');
        this.name = 'Refused';
      }
    }
    const error = new Refused({ transaction: { card: { pan: '4761739001010010' } } });
    const [line] = linesOf((logger) => logger.error({ err: error }, 'failed'));
    expect(line!.err).toMatchObject({
      type: 'Refused',
      message: 'Dintero refused',
      body: { transaction: { card: '[redacted]' } },
    });
    expect(String((line!.err as { stack: string }).stack)).toContain('Dintero refused');
    expect(JSON.stringify(line)).not.toContain('4761739001010010');
    expect((error.body as { transaction: { card: { pan: string } } }).transaction.card.pan).toBe('4761739001010010');
  });
});
