import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '@nestjs/common';
import { ConfigError } from '../config/load-config';

/** How often a key file's size and modification time are looked at. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * A changed key file takes effect without a restart: within a second of the change (or at once on SIGHUP)
 * `load` runs again and `apply` takes its result. A file that does not load (broken JSON, a bad entry,
 * removed) keeps the last good keys in force, with an error in the log.
 *
 * The file is polled (`fs.watchFile`) rather than watched with `fs.watch`: editors and deployment tools
 * replace files rather than write them in place, and a container's bind mount may not pass inotify events;
 * a stat a second costs nothing.
 */
export class KeyFileWatcher<Keys extends { readonly size: number }> {
  private readonly onSignal = () => this.reload('SIGHUP');
  private readonly onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino)
      this.reload('the file changed');
  };

  constructor(
    private readonly file: string,
    /** What the file holds, for the log: "POS key file", "operator key file". */
    private readonly what: string,
    private readonly load: (file: string) => Keys,
    private readonly apply: (keys: Keys) => void,
    private readonly inForce: () => number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    watchFile(this.file, { interval: WATCH_INTERVAL_MS, persistent: false }, this.onChange);
    process.on('SIGHUP', this.onSignal);
  }

  stop(): void {
    unwatchFile(this.file, this.onChange);
    process.off('SIGHUP', this.onSignal);
  }

  /** Reads the file again; keeps the keys in force when it does not load. */
  reload(why: string): boolean {
    try {
      const keys = this.load(this.file);
      this.apply(keys);
      this.logger.log({ file: this.file, keys: keys.size, why }, `${this.what} reloaded`);
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.logger.error(
        { file: this.file, problems: error.problems, why, keysInForce: this.inForce() },
        `${this.what} not reloaded: the last good keys stay in force`,
      );
      return false;
    }
  }
}
