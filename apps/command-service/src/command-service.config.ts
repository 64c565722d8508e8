import { BaseAppConfig, withEventStore, withNats } from '@app/platform';

export class CommandServiceConfig extends withNats(withEventStore(BaseAppConfig)) {
  override readonly port: number = 3000;
}
