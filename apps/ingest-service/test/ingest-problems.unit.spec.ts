import { Registry } from 'prom-client';
import { WrongExpectedRevisionError } from '@app/event-store';
import { IngestProblemsFilter } from '../src/ingest.errors';

describe('ingest’s answers to Dintero', () => {
  const filter = new IngestProblemsFilter(new Registry());

  it('asks for the delivery again (503) when the payment changed under it at every try: a 409 would end Dintero’s retries', () => {
    const conflict = new WrongExpectedRevisionError('payment-1', 4, 6);
    expect(filter.toProblem(conflict, '/v1/dintero/callback/payment-1')).toMatchObject({
      status: 503,
      code: 'CONCURRENT_UPDATE',
    });
    expect(filter.toProblem(conflict, '/v1/dintero/webhooks')).toMatchObject({ status: 503 });
  });
});
