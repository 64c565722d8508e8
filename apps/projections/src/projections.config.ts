import { BaseAppConfig, withEventStore, withNats } from '@app/platform';

export class ProjectionsConfig extends withNats(withEventStore(BaseAppConfig)) {
  override readonly port: number = 3002;
}
