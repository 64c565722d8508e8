import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { CommandServiceConfig } from './command-service.config';
import { CommandServiceModule } from './command-service.module';

bootstrap(CommandServiceConfig, (config) => CommandServiceModule.forRoot(config), {
  name: 'command-service',
  title: 'Command service',
  description: 'POS-facing API: start, follow, cancel and refund terminal payments; the store and terminal registry',
});
