import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { PROJECTIONS_HTTP_APP } from './projections-http-app';
import { ProjectionsConfig } from './projections.config';
import { ProjectionsModule } from './projections.module';

bootstrap(ProjectionsConfig, (config) => ProjectionsModule.forRoot(config), PROJECTIONS_HTTP_APP);
