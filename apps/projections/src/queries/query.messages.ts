import { IsISO8601, Matches } from 'class-validator';
import { IsNameToken } from '@app/platform';

export class StoreQuery {
  @IsNameToken()
  storeId!: string;
}

export class TerminalQuery extends StoreQuery {
  @IsNameToken()
  terminalId!: string;
}

export class StoreDayQuery extends StoreQuery {
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date: yyyy-mm-dd, in the store’s time zone' })
  // A day of the calendar: 2026-02-30 or 2026-13-01 would answer a day of zeros as if it had had no trading.
  @IsISO8601({ strict: true }, { message: 'date: a day of the calendar (yyyy-mm-dd)' })
  date!: string;
}
