import { asDomainEvent, followsDinteroStatus, type TerminalEnrollment } from '@app/payment-domain';

export interface FollowedTerminal {
  readonly storeId: string;
  readonly terminalId: string;
  readonly dinteroTerminalId: string;
  /** When to ask Dintero next (epoch ms). */
  nextAt: number;
}

/**
 * The registered terminals whose status at Dintero may still change by itself or by a person (`PENDING`,
 * `ACTION_REQUIRED`, `INACTIVE`, `ERROR`), from the store streams of the log. A terminal leaves the set once it is
 * `ACTIVE` or `DELETED`, or is removed from its store.
 */
export class FollowedTerminals {
  private readonly terminals = new Map<string, FollowedTerminal>();

  get size(): number {
    return this.terminals.size;
  }

  apply(record: { streamName: string; type: string; data: unknown }, now: number): void {
    const known = asDomainEvent(record);
    if (known?.stream !== 'store') return;
    const { event } = known;
    switch (event.type) {
      case 'TerminalEnrolled':
        return this.follow(event.data, event.data, now);
      case 'TerminalStatusChanged':
        return this.follow(event.data, event.data, now);
      case 'TerminalRemoved':
        this.terminals.delete(key(event.data));
        return;
      default:
        return;
    }
  }

  /** Those to ask Dintero about now, at most `limit`, each pushed back to `nextAt` meanwhile. */
  takeDue(now: number, limit: number, nextAt: number): FollowedTerminal[] {
    const due: FollowedTerminal[] = [];
    for (const terminal of this.terminals.values()) {
      if (due.length >= limit) break;
      if (terminal.nextAt > now) continue;
      terminal.nextAt = nextAt;
      due.push(terminal);
    }
    return due;
  }

  private follow(
    ref: { readonly storeId: string; readonly terminalId: string },
    enrollment: Pick<TerminalEnrollment, 'dinteroTerminalId' | 'status'>,
    now: number,
  ): void {
    if (!followsDinteroStatus(enrollment.status)) {
      this.terminals.delete(key(ref));
      return;
    }
    const current = this.terminals.get(key(ref));
    this.terminals.set(key(ref), {
      storeId: ref.storeId,
      terminalId: ref.terminalId,
      dinteroTerminalId: enrollment.dinteroTerminalId,
      nextAt: current?.nextAt ?? now,
    });
  }
}

const key = ({ storeId, terminalId }: { readonly storeId: string; readonly terminalId: string }) =>
  `${storeId}.${terminalId}`;
