import { Writable } from 'node:stream';
import pino from 'pino';
import { LINE_OPTIONS } from '../src/logging/line-options';

/** The raw text of the lines a pino logger with the apps' line options writes for `write`. */
function textOf(write: (logger: pino.Logger) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  write(pino(LINE_OPTIONS, sink));
  return lines.join('').trim().split('\n');
}

const times = (text: string, part: string) => text.split(part).length - 1;

describe('log lines: the correlation id once', () => {
  it('says a request logger’s correlation id once when the line names it too, and changes nothing logged', () => {
    const logged = { paymentId: 'p-1', storeId: 's-1', terminalId: 't-1', correlationId: 'till-3.receipt-42' };
    const before = JSON.stringify(logged);
    const [text] = textOf((logger) => logger.child({ correlationId: 'till-3.receipt-42' }).warn(logged, 'refused'));
    expect(times(text!, '"correlationId"')).toBe(1);
    expect(JSON.parse(text!)).toMatchObject({ ...logged, msg: 'refused' });
    expect(JSON.stringify(logged)).toBe(before);
  });

  it('keeps the line’s own id outside a request, and as lineCorrelationId where it differs from the bound one', () => {
    const [alone, differs, bound, rebound] = textOf((logger) => {
      logger.info({ correlationId: 'nightly-close' }, 'closing');
      const request = logger.child({ correlationId: 'request-1' });
      request.info({ correlationId: 'nightly-close' }, 'closing');
      request.info({ paymentId: 'p-1' }, 'started');
      // Bindings changed on the same logger: the id it carries now is the one compared.
      request.setBindings({ correlationId: 'request-2' });
      request.info({ correlationId: 'request-2' }, 'again');
    });
    expect(JSON.parse(alone!)).toMatchObject({ correlationId: 'nightly-close' });
    expect(times(differs!, '"correlationId"')).toBe(1);
    expect(JSON.parse(differs!)).toMatchObject({ correlationId: 'request-1', lineCorrelationId: 'nightly-close' });
    expect(times(bound!, '"correlationId"')).toBe(1);
    expect(JSON.parse(bound!)).toMatchObject({ correlationId: 'request-1', paymentId: 'p-1' });
    // (pino itself writes a binding set again twice; JSON readers take its last, the one compared.)
    expect(JSON.parse(rebound!)).toMatchObject({ correlationId: 'request-2' });
    expect(rebound).not.toContain('lineCorrelationId');
  });

  it('still censors what no line may hold', () => {
    const [text] = textOf((logger) =>
      logger.child({ correlationId: 'c-1' }).warn({ correlationId: 'c-1', authorization: 'Bearer abc' }, 'x'),
    );
    expect(text).not.toContain('Bearer abc');
    expect(JSON.parse(text!)).toMatchObject({ authorization: '[redacted]', correlationId: 'c-1' });
  });
});
