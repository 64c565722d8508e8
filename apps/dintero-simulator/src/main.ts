import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { DinteroSimulatorConfig } from './dintero-simulator.config';
import { DinteroSimulatorModule } from './dintero-simulator.module';

bootstrap(DinteroSimulatorConfig, (config) => DinteroSimulatorModule.forRoot(config), {
  name: 'dintero-simulator',
  title: 'Dintero simulator',
  description: "A local stand-in for Dintero's Checkout API with virtual stores and terminals",
});
