import { Matches } from 'class-validator';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export class StoreQuery {
  @Matches(TOKEN, { message: 'storeId: 1-64 letters, digits, "_" or "-"' })
  storeId!: string;
}

export class TerminalQuery extends StoreQuery {
  @Matches(TOKEN, { message: 'terminalId: 1-64 letters, digits, "_" or "-"' })
  terminalId!: string;
}

export class StoreDayQuery extends StoreQuery {
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date: yyyy-mm-dd, in the store’s time zone' })
  date!: string;
}
