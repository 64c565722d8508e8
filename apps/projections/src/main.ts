import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { ProjectionsConfig } from './projections.config';
import { ProjectionsModule } from './projections.module';

bootstrap(ProjectionsConfig, (config) => ProjectionsModule.forRoot(config), {
  name: 'projections',
  title: 'Projections',
  description: 'Per-terminal and per-store read models in NATS JetStream KV',
});
