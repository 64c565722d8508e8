import { Matches } from 'class-validator';
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
  date!: string;
}
