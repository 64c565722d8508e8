import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { COMMAND_HTTP_APP } from './command-http-app';
import { CommandServiceConfig } from './command-service.config';
import { CommandServiceModule } from './command-service.module';

bootstrap(CommandServiceConfig, (config) => CommandServiceModule.forRoot(config), COMMAND_HTTP_APP);
