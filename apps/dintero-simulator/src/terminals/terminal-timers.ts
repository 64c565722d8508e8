import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SimulatorStateWrites } from '../state/state-writes';

/**
 * Everything the virtual terminals and Dintero's side do later, by key: a card presented after the prompt's delay,
 * a hold's end, an automatic capture, a refund's result, and the sweep that expires sessions. One owner, so that a
 * reset ends everything scheduled, and the simulator's stop every timer, the sweep too, at once.
 */
@Injectable()
export class TerminalTimers implements OnApplicationShutdown {
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly writes: SimulatorStateWrites) {}

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.sweep);
    this.reset();
  }

  /** Nothing scheduled goes on (`/_control/reset`): a prompt of a session before it never presents a later one's card. */
  reset(): void {
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
  }

  /**
   * Timers of a stopped simulator never fire; unref'd, since the HTTP server keeps a running one alive. What one
   * changed goes to the state file (no request waits for it).
   */
  schedule(key: string, delayMs: number, action: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      action();
      this.writes.changed();
    }, delayMs);
    timer.unref();
    this.scheduled.set(key, timer);
  }

  /** What was scheduled under the key does not happen. */
  cancel(key: string): void {
    clearTimeout(this.scheduled.get(key));
    this.scheduled.delete(key);
  }

  /** The expiry sweep, every `intervalMs` until the simulator stops; unref'd as the timers are. */
  repeat(intervalMs: number, action: () => void): void {
    this.sweep = setInterval(action, intervalMs);
    this.sweep.unref();
  }
}
