import { readFileSync } from 'node:fs';
import { catalogue, CONSUMING, withCatalogue } from '../scripts/catalogue';

describe('the catalogue of docs/consuming.md', () => {
  const generated = catalogue();

  it('is what the types say (run `npm run docs:catalogue` after changing a document or an event)', () => {
    const markdown = readFileSync(CONSUMING, 'utf8');
    expect(withCatalogue(markdown, generated)).toBe(markdown);
  });

  it('gives every field a meaning, and lists every document and every event of the domain', () => {
    const rows = generated.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((row) => row.endsWith('|  |'))).toEqual([]);
    for (const heading of ['Terminal:', 'Store:', 'Store-day:', 'Payment index entry:'])
      expect(generated).toContain(`#### ${heading}`);
    for (const event of [
      'PaymentRequested',
      'PaymentCaptured',
      'RefundSucceeded',
      'TerminalClaimed',
      'StoreRegistered',
    ])
      expect(generated).toContain(`#### \`${event}\` on`);
    // A nightly close's give-up is on its terminal day's stream, not on the attempt's its operationId names.
    expect(generated).not.toContain('#### `CloseGivenUp` on `operation-{operationId}`');
    expect(generated).toMatch(/#### `CloseGivenUp` on `operation-\{id\}`, the terminal day's stream/);
    // A field added to a document type shows up without anyone writing it here.
    expect(generated).toContain('| `lastRefund.refundId` | string |');
  });
});
