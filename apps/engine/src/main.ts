import 'reflect-metadata';
import { ConfigError, onStopRequest } from '@app/platform';
import { startEngine } from './engine';

/**
 * The embedded default's composition root: `npm start` runs this, with the simulator (standing in for
 * Dintero, another system) in a process of its own. SIGTERM or SIGINT stops it cleanly and exits 0.
 */
startEngine(process.env).then(
  (engine) => {
    engine.logger.log(
      `engine listening: command ${engine.urls.command}, ingest ${engine.urls.ingest}, projections ${engine.urls.projections}`,
    );
    // SIGHUP, the terminal closing: stop as Node would by default (the command service's key-file reload also
    // listens to SIGHUP, which would otherwise keep the process running).
    onStopRequest(
      (why) => {
        engine.logger.log(`engine stopping on ${why}`);
        engine.close().then(
          // 1 when it stopped itself for a fault (`stopOnNatsLoss`), so that its supervisor sees one.
          () => process.exit(process.exitCode ?? 0),
          (error: unknown) => {
            console.error('engine did not stop cleanly', error);
            process.exit(1);
          },
        );
      },
      ['SIGHUP'],
    );
  },
  (error: unknown) => {
    console.error(`engine could not start: ${error instanceof ConfigError ? error.message : String(error)}`);
    if (!(error instanceof ConfigError)) console.error(error);
    process.exit(1);
  },
);
