import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KeyFileWatcher } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../command-service.config';
import type { PosClient } from './pos-client';
import { loadPosClients } from './pos-clients.file';
import { PosCredentials } from './pos-credentials.service';

/**
 * A changed POS key file takes effect without a restart: `npm run pos-key` prints an entry, the operator adds
 * it, and within a second (or at once on SIGHUP) the service reads the file again (`KeyFileWatcher`).
 */
@Injectable()
export class PosClientsReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watcher: KeyFileWatcher<ReadonlyMap<string, PosClient>>;

  constructor(credentials: PosCredentials, @Inject(COMMAND_CONFIG) config: CommandServiceConfig) {
    this.watcher = new KeyFileWatcher(
      config.posClientsFile,
      'POS key file',
      loadPosClients,
      (clients) => credentials.replace(clients),
      () => credentials.size,
      new Logger('PosClients'),
    );
  }

  onApplicationBootstrap(): void {
    this.watcher.start();
  }

  onApplicationShutdown(): void {
    this.watcher.stop();
  }

  /** Reads the key file again; keeps the keys in force when it does not load. */
  reload(why: string): boolean {
    return this.watcher.reload(why);
  }
}
