import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DeliveryService, WEBHOOK_EVENTS, type Webhook } from '../delivery/delivery.service';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorState } from '../state/simulator-state';
import { SeedDto } from './control.dto';

/** Loads virtual payout destinations, stores, terminals and webhook subscriptions. */
@Injectable()
export class SeedService implements OnModuleInit {
  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly delivery: DeliveryService,
  ) {}

  onModuleInit(): void {
    if (!this.config.seedFile) return;
    const seed = plainToInstance(SeedDto, JSON.parse(readFileSync(this.config.seedFile, 'utf8')) as unknown);
    const errors = validateSync(seed);
    if (errors.length > 0)
      throw new Error(`SIM_SEED_FILE ${this.config.seedFile} is invalid: ${errors.map(String).join('; ')}`);
    this.apply(seed);
  }

  apply(seed: SeedDto): void {
    for (const id of seed.payoutDestinations ?? []) {
      this.state.payoutDestinations.add(id);
      this.state.touch('payoutDestinations', id);
    }
    for (const store of seed.stores ?? []) {
      this.state.payoutDestinations.add(store.payout_destination_id);
      this.state.stores.set(store.id, { ...store });
      this.state.touch('payoutDestinations', store.payout_destination_id);
      this.state.touch('stores', store.id);
    }
    for (const terminal of seed.terminals ?? []) {
      const existing = this.state.terminals.get(terminal.terminal_id);
      this.state.terminals.set(terminal.terminal_id, {
        ...existing,
        terminal_id: terminal.terminal_id,
        store_id: terminal.store_id,
        status: terminal.status ?? 'ACTIVE',
        ...(terminal.unattended === undefined ? {} : { unattended: terminal.unattended }),
      });
      this.state.touch('terminals', terminal.terminal_id);
    }
    if (seed.webhooks) {
      const before = this.delivery.webhooks;
      this.delivery.webhooks = seed.webhooks.map((hook) => {
        const events = hook.events ?? WEBHOOK_EVENTS;
        const same = (kept: Webhook) =>
          kept.url === hook.url && kept.secret === hook.secret && kept.events.join() === events.join();
        return (
          before.find(same) ?? {
            id: randomUUID(),
            url: hook.url,
            secret: hook.secret,
            events,
            createdAt: new Date().toISOString(),
          }
        );
      });
      // Dintero pings a subscription it has just created; one seeded again as it was is not created again.
      for (const hook of this.delivery.webhooks) if (!before.includes(hook)) this.delivery.ping(hook);
    }
  }
}
