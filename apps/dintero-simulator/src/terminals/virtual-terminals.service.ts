import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorClock } from '../state/clock';
import { SimulatorStateWrites } from '../state/state-writes';
import { SimulatorState, type SimSession } from '../state/simulator-state';
import { outcomeForAmount, parseOutcome, type TerminalOutcome } from './amount-table';
import { TerminalOutcomes } from './terminal-outcomes';
import { TerminalTimers } from './terminal-timers';

/**
 * The virtual terminals: a session prompts on its terminal; after the configured delay (or when a test
 * presents the card) the outcome the amount picks happens, Dintero's records change, and the callback
 * and webhooks go out. A session left unanswered expires at its `expires_at` and frees the terminal.
 */
@Injectable()
export class VirtualTerminalsService implements OnModuleInit {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly clock: SimulatorClock,
    private readonly writes: SimulatorStateWrites,
    private readonly timers: TerminalTimers,
    private readonly outcomes: TerminalOutcomes,
  ) {}

  onModuleInit(): void {
    this.timers.repeat(250, () => this.expireSessions());
  }

  prompt(session: SimSession): void {
    const terminal = this.state.terminals.get(session.order.store.terminal_id)!;
    terminal.activeSessionId = session.id;
    session.events.push({ name: 'INITIATED', created_at: this.clock.stamp() });
    this.state.touchPayment(session);
    if (!terminal.unattended)
      this.timers.schedule(session.id, this.config.terminalDelayMs, () => {
        if (terminal.activeSessionId === session.id) this.present(terminal.terminal_id);
      });
  }

  /** The customer presents a card now. Returns false when nothing is prompting. */
  present(terminalId: string, override?: TerminalOutcome): boolean {
    const terminal = this.state.terminals.get(terminalId);
    const session = terminal?.activeSessionId ? this.state.sessions.get(terminal.activeSessionId) : undefined;
    if (!terminal || !session) return false;
    this.state.touchPayment(session);
    this.timers.cancel(session.id);
    const outcome = override ?? parseOutcome(terminal.nextOutcome) ?? outcomeForAmount(session.order.amount);
    terminal.nextOutcome = undefined;
    if (outcome.kind === 'no_answer') return true; // prompts on until the session expires
    terminal.activeSessionId = undefined;
    this.outcomes.apply(session, outcome);
    return true;
  }

  /** Cancel while prompting: the terminal drops the prompt (our choice: Dintero does not say, §3). */
  abort(session: SimSession): void {
    this.timers.cancel(session.id);
    const terminal = this.state.terminals.get(session.order.store.terminal_id);
    if (terminal?.activeSessionId === session.id) terminal.activeSessionId = undefined;
    this.state.touchPayment(session);
  }

  private expireSessions(): void {
    const time = Date.now();
    let expired = false;
    for (const terminal of this.state.terminals.values()) {
      const session = terminal.activeSessionId ? this.state.sessions.get(terminal.activeSessionId) : undefined;
      // The specification's session events have no expiry: a session past its `expires_at` says it by that.
      if (session && Date.parse(session.expires_at) <= time) {
        this.abort(session);
        expired = true;
      }
    }
    if (expired) this.writes.changed();
  }
}
