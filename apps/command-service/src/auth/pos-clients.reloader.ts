import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigError } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../command-service.config';
import { loadPosClients } from './pos-clients.file';
import { PosCredentials } from './pos-credentials.service';

/** How often the key file's size and modification time are looked at. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * A changed POS key file takes effect without a restart: `npm run pos-key` prints an entry, the operator adds
 * it, and within a second (or at once on SIGHUP) the service reads the file again. A file that does not
 * load (broken JSON, a bad entry, removed) keeps the last good keys in force, with an error in the log.
 *
 * The file is polled (`fs.watchFile`) rather than watched with `fs.watch`: editors and deployment tools
 * replace files rather than write them in place, and a container's bind mount may not pass inotify events;
 * a stat a second costs nothing.
 */
@Injectable()
export class PosClientsReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PosClients');
  private readonly onSignal = () => this.reload('SIGHUP');
  private readonly onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino)
      this.reload('the file changed');
  };

  constructor(
    private readonly credentials: PosCredentials,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    watchFile(this.config.posClientsFile, { interval: WATCH_INTERVAL_MS, persistent: false }, this.onChange);
    process.on('SIGHUP', this.onSignal);
  }

  onApplicationShutdown(): void {
    unwatchFile(this.config.posClientsFile, this.onChange);
    process.off('SIGHUP', this.onSignal);
  }

  /** Reads the key file again; keeps the keys in force when it does not load. */
  reload(why: string): boolean {
    const file = this.config.posClientsFile;
    try {
      const clients = loadPosClients(file);
      this.credentials.replace(clients);
      this.logger.log({ file, clients: clients.size, why }, 'POS key file reloaded');
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.logger.error(
        { file, problems: error.problems, why, clientsInForce: this.credentials.size },
        'POS key file not reloaded: the last good keys stay in force',
      );
      return false;
    }
  }
}
