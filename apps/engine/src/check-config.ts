import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/platform';
import { loadPosClients } from '../../command-service/src/auth/pos-clients.file';
import { CommandServiceConfig } from '../../command-service/src/command-service.config';
import { IngestServiceConfig } from '../../ingest-service/src/ingest-service.config';
import { loadOperators } from '../../projections/src/operators/operators.file';
import { ProjectionsConfig } from '../../projections/src/projections.config';
import { placeholdersLeft } from './placeholders';

/**
 * Checks, once, the configuration an app would start with: `node dist/apps/engine/src/check-config.js
 * command-service|ingest-service|projections`. docker-compose.yml runs it before the apps (the
 * `config-check` service), so that a missing variable, a missing key file or a placeholder of `.env.example`
 * left in stops the deployment with one clear message instead of an app restarting in a loop.
 */
const SCHEMAS = {
  'command-service': CommandServiceConfig,
  'ingest-service': IngestServiceConfig,
  projections: ProjectionsConfig,
} as const;

const apps = process.argv.slice(2);
const problems: string[] = placeholdersLeft(process.env);
for (const app of apps.length > 0 ? apps : Object.keys(SCHEMAS)) {
  const schema = SCHEMAS[app as keyof typeof SCHEMAS];
  if (!schema) {
    problems.push(`unknown app ${app}: one of ${Object.keys(SCHEMAS).join(', ')}`);
    continue;
  }
  try {
    const config: object = loadConfig<object>(schema, process.env);
    if (config instanceof CommandServiceConfig) loadPosClients(config.posClientsFile);
    if (config instanceof ProjectionsConfig && config.operatorsFile) loadOperators(config.operatorsFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((problem) => `${app}: ${problem}`));
  }
}
if (problems.length > 0) {
  console.error(`The configuration is not complete:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`configuration complete: ${apps.length > 0 ? apps.join(', ') : Object.keys(SCHEMAS).join(', ')}`);
