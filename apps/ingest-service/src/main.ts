import 'reflect-metadata';
import { bootstrap } from '@app/platform';
import { INGEST_HTTP_APP } from './ingest-http-app';
import { IngestServiceConfig } from './ingest-service.config';
import { IngestServiceModule } from './ingest-service.module';

bootstrap(IngestServiceConfig, (config) => IngestServiceModule.forRoot(config), INGEST_HTTP_APP);
