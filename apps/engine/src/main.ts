import 'reflect-metadata';
import { closeAndExitOnStopRequest, reportStartFailure } from '@app/platform';
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
    // Exit code 1 when it stopped itself for a fault (`stopOnNatsLoss`), so that its supervisor sees one.
    closeAndExitOnStopRequest(
      'engine',
      (message) => engine.logger.log(message),
      () => engine.close(),
      ['SIGHUP'],
    );
  },
  (error: unknown) => {
    reportStartFailure('engine', error);
    process.exit(1);
  },
);
