import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KeyFileWatcher } from '@app/platform';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import type { OperatorKeys } from './operator';
import { OperatorSessions } from './operator-sessions';
import { loadOperators } from './operators.file';

/** A changed OPERATORS_FILE takes effect within a second, or at once on SIGHUP (`KeyFileWatcher`). */
@Injectable()
export class OperatorsReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watcher: KeyFileWatcher<OperatorKeys> | undefined;

  constructor(sessions: OperatorSessions, @Inject(PROJECTIONS_CONFIG) config: ProjectionsConfig) {
    this.watcher = config.operatorsFile
      ? new KeyFileWatcher(
          config.operatorsFile,
          'operator key file',
          loadOperators,
          (keys) => sessions.replace(keys),
          () => sessions.size,
          new Logger('Operators'),
        )
      : undefined;
  }

  onApplicationBootstrap(): void {
    this.watcher?.start();
  }

  onApplicationShutdown(): void {
    this.watcher?.stop();
  }

  reload(why: string): boolean {
    return this.watcher?.reload(why) ?? false;
  }
}
