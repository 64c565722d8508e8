import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes when another connection writes the log's WAL: another process appending to the same file (the apps
 * run apart, a tool), whose commits no signal of this process tells. Through the operating system's file
 * notices (inotify on Linux), so that such a commit is seen in the same turn rather than at the next poll:
 * the poll's interval was most of a separate projections process's lag. The poll stays, as the backstop for
 * whatever a file notice can miss (a file system without them, a WAL that is not there yet).
 *
 * Notices arriving together are answered once, in the next turn of the event loop: a commit writes the WAL
 * more than once, and a group commit of the writer thread of this process moves the file too.
 */
export class WalWatch {
  private watcher: FSWatcher | undefined;
  private scheduled = false;

  constructor(databaseFile: string, onWrite: () => void) {
    try {
      this.watcher = watch(`${databaseFile}-wal`, { persistent: false }, () => {
        if (this.scheduled) return;
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (this.watcher) onWrite();
        });
      });
      // Lost (the WAL removed, the watch limit reached): the poll alone, as before.
      this.watcher.on('error', () => this.stop());
    } catch {
      this.watcher = undefined;
    }
  }

  /** Whether notices come: false where the file could not be watched. */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
