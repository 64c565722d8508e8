import { BaseAppConfig, withEventStore } from '@app/platform';

export class IngestServiceConfig extends withEventStore(BaseAppConfig) {
  override readonly port: number = 3001;
}
