import { BaseAppConfig } from '@app/platform';

export class DinteroSimulatorConfig extends BaseAppConfig {
  override readonly port: number = 3003;
}
