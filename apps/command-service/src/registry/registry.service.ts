import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import { isSubjectToken } from '@app/messaging';
import { claimTerminal, hashedUuid, releaseClaim } from '@app/platform';
import {
  DomainError,
  deviceTaken,
  nameOfDevice,
  ownEntry,
  storeDecider,
  storeStream,
  terminalBusy,
  terminalDecider,
  terminalStream,
  type StoreCommand,
  type StoreState,
  type TerminalEnrollment,
} from '@app/payment-domain';
import { now } from '../clock';
import { DinteroOnboarding } from './dintero-onboarding.service';
import type { ImportSkipped, PutStoreDto, PutTerminalDto, RegisteredTerminalView, StoreView } from './registry.dto';

type RegisteredStore = Extract<StoreState, { status: 'registered' }>;

/**
 * How long a change of a terminal's device holds the terminal at most: the hold spans the store's write alone
 * (Dintero has the device by then); should the process die before it ends the hold, the hold lapses.
 */
const DEVICE_CHANGE_HOLD_MS = 30_000;

const CHANGE_ONCE_FREE = ': change its device once it is free';

/** The id of the hold for changing a terminal's device to a Dintero terminal: the same for the same change. */
export const deviceChangeClaimId = (terminalId: string, dinteroTerminalId: string): string =>
  hashedUuid('device-change', terminalId, dinteroTerminalId);

/** Who asks, for the events' metadata. */
export interface RegistryContext {
  readonly correlationId: string;
  readonly posClientId: string;
  /** Which stores the caller's key may use: another store is named to it only if it may use that one too. */
  readonly mayUse: (storeId: string) => boolean;
}

/**
 * The store and terminal registry: `store-{storeId}` streams, written through the store decider, and each
 * terminal's store on its `terminal-{terminalId}` stream. What Dintero must have (the store, the device) is
 * made there first, so that nothing is recorded here that Dintero does not have; each step is safe to
 * repeat, so a registration cut off anywhere is finished by sending it again.
 */
@Injectable()
export class RegistryService {
  private readonly logger = new Logger(RegistryService.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dintero: DinteroOnboarding,
  ) {}

  /** Registers a store (creating it at Dintero when Dintero has none) or changes its details; `created` when new. */
  async putStore(storeId: string, body: PutStoreDto, context: RegistryContext) {
    const { organizationNumber, ...details } = body;
    // The domain's rules first (time zone, currencies): a bad registration asks nothing of Dintero.
    const current = await this.storeState(storeId);
    const command: StoreCommand = { type: 'RegisterStore', data: { storeId, ...details, at: now() } };
    storeDecider.decide(command, current);
    const dinteroStoreId = await this.dintero.store({ storeId, ...details }, organizationNumber);
    const { events, state } = await this.handle(
      storeId,
      { type: 'RegisterStore', data: { ...command.data, dinteroStoreId } },
      context,
    );
    return { created: events.some((event) => event.type === 'StoreRegistered'), view: storeView(state) };
  }

  /**
   * Registers a terminal name to a store, with the device behind it at Dintero (see `PutTerminalDto`), or
   * reactivates it. A name registered to another store is refused with `TERMINAL_OF_OTHER_STORE` before
   * Dintero is asked: terminal names are global.
   */
  async putTerminal(storeId: string, terminalId: string, body: PutTerminalDto, context: RegistryContext) {
    if (body.deviceSerialNumber !== undefined && body.dinteroTerminalId !== undefined)
      throw new DomainError('VALIDATION_FAILED', 'Give deviceSerialNumber or dinteroTerminalId, not both', {
        field: 'dinteroTerminalId',
      });
    if (body.deviceModel !== undefined && body.deviceSerialNumber === undefined)
      throw new DomainError('VALIDATION_FAILED', 'deviceModel goes with deviceSerialNumber', { field: 'deviceModel' });
    const store = await this.registeredStore(storeId);
    await this.assertNotOfOtherStore(storeId, terminalId, context);
    const registered = ownEntry(store.terminals, terminalId);
    const recorded = registered?.dintero;
    // The device the name has: the one recorded, or for a name registered before devices were recorded, the
    // Dintero terminal of that id (what its payments are sent to).
    const current = recorded?.dinteroTerminalId ?? (registered ? terminalId : undefined);
    // Another device for a registered name: not while the till is taking a payment or refund or running an
    // operation on the device it has, whose prompt would go on there under no name, free for a second payment.
    // Looked at first so that Dintero is not asked while the till is plainly busy; the hold below decides.
    const swap =
      current !== undefined &&
      ((body.deviceSerialNumber !== undefined && body.deviceSerialNumber !== recorded?.deviceSerialNumber) ||
        (body.dinteroTerminalId !== undefined && body.dinteroTerminalId !== current));
    if (swap) await this.assertNotBusy(terminalId);
    const enrollment =
      body.deviceSerialNumber !== undefined
        ? await this.dintero.device(storeId, body.deviceSerialNumber, body.deviceModel, context.mayUse)
        : // No device named: the one the log has for the name (a reactivation), else a Dintero id the name is.
          await this.dintero.existing(
            storeId,
            body.dinteroTerminalId ?? recorded?.dinteroTerminalId ?? terminalId,
            context.mayUse,
          );
    // Checked again by the store's decider, where the log's expected revision settles a race of two names.
    const taken = nameOfDevice(store, enrollment.dinteroTerminalId);
    if (taken !== undefined && taken !== terminalId) throw deviceTaken(storeId, taken, enrollment.dinteroTerminalId);
    // Written only if the name still has the device this request found it with: a change made meanwhile (another
    // request's swap, a first registration racing this one) is refused, never undone here.
    const replacing = current ?? null;
    if (current === undefined || current === enrollment.dinteroTerminalId)
      return storeView(await this.register(storeId, terminalId, enrollment, context, replacing));
    // The change itself under a hold of the terminal: no payment, refund or operation claims it between the
    // look above and the store's write, and one that claimed it before is refused here.
    const release = await this.holdForDeviceChange(storeId, terminalId, enrollment.dinteroTerminalId, context);
    let outcome: 'finished' | 'rejected' = 'rejected';
    try {
      const view = storeView(await this.register(storeId, terminalId, enrollment, context, replacing));
      outcome = 'finished';
      return view;
    } finally {
      await release(outcome);
    }
  }

  /**
   * Brings the store's terminals at Dintero into the registry, each under its Dintero `terminal_id` as its
   * name. A device already registered under some name is left as it is; the same import again imports
   * nothing new.
   */
  async importTerminals(storeId: string, context: RegistryContext) {
    let store = await this.registeredStore(storeId);
    const imported: RegisteredTerminalView[] = [];
    const skipped: ImportSkipped[] = [];
    for (const enrollment of await this.dintero.storeTerminals(storeId)) {
      const { dinteroTerminalId } = enrollment;
      const registeredAs = nameOfDevice(store, dinteroTerminalId);
      if (registeredAs !== undefined) {
        skipped.push({ dinteroTerminalId, reason: 'registered already', terminalId: registeredAs });
        continue;
      }
      // Its id is the name of another device here (a till whose device was swapped): importing it would point
      // that name back at this device.
      const named = ownEntry(store.terminals, dinteroTerminalId);
      if (named !== undefined) {
        skipped.push({
          dinteroTerminalId,
          reason: `its id is the name of another device here (${named.dintero?.dinteroTerminalId ?? 'none'}): register it under a name with dinteroTerminalId`,
        });
        continue;
      }
      // Swapped out of a till (replaced: broken, returned), and still at Dintero: not brought back as a terminal.
      const leftName = ownEntry(store.swappedOut ?? {}, dinteroTerminalId);
      if (leftName !== undefined) {
        skipped.push({
          dinteroTerminalId,
          reason: `swapped out of ${leftName}: register it under a name with dinteroTerminalId to use it again`,
        });
        continue;
      }
      if (!isSubjectToken(dinteroTerminalId)) {
        skipped.push({
          dinteroTerminalId,
          reason: 'its id is not a valid terminal name here: register it under a name with dinteroTerminalId',
        });
        continue;
      }
      try {
        await this.assertNotOfOtherStore(storeId, dinteroTerminalId, context);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        skipped.push({ dinteroTerminalId, reason: error.message });
        continue;
      }
      store = await this.register(storeId, dinteroTerminalId, enrollment, context);
      imported.push(terminalView(dinteroTerminalId, store.terminals[dinteroTerminalId]!));
    }
    this.logger.log(
      { storeId, imported: imported.length, skipped: skipped.length, correlationId: context.correlationId },
      'imported terminals from Dintero',
    );
    return { imported, skipped, store: storeView(store) };
  }

  async deactivateTerminal(storeId: string, terminalId: string, context: RegistryContext): Promise<StoreView> {
    const { state } = await this.handle(
      storeId,
      { type: 'DeactivateTerminal', data: { storeId, terminalId, at: now() } },
      context,
    );
    return storeView(state);
  }

  async registeredStore(storeId: string): Promise<RegisteredStore> {
    const state = await this.storeState(storeId);
    if (state.status !== 'registered')
      throw new DomainError('UNKNOWN_STORE', `Store ${storeId} is not registered`, { storeId });
    return state;
  }

  /** The terminal's store first: a crash between the two writes leaves a terminal assigned but not yet listed, which the same request again completes. */
  private async register(
    storeId: string,
    terminalId: string,
    enrollment: TerminalEnrollment,
    context: RegistryContext,
    replacing?: string | null,
  ): Promise<RegisteredStore> {
    await handleCommand(
      this.store,
      terminalStream(terminalId),
      terminalDecider,
      { type: 'AssignTerminal', data: { terminalId, storeId, at: now() } },
      { metadata: metadata(context, { storeId, terminalId }) },
    );
    const { state } = await this.handle(
      storeId,
      {
        type: 'RegisterTerminal',
        data: { storeId, terminalId, enrollment, at: now(), ...(replacing === undefined ? {} : { replacing }) },
      },
      context,
      terminalId,
    );
    return state as RegisteredStore;
  }

  /**
   * Refused as `TERMINAL_BUSY`, naming what holds it, while a payment, refund or operation holds the terminal. A
   * device change's hold is left to `holdForDeviceChange`: it may be this change's own, sent again.
   */
  private async assertNotBusy(terminalId: string): Promise<void> {
    const { state } = await readState(this.store, terminalStream(terminalId), terminalDecider);
    if (state.status !== 'claimed' || Date.parse(state.claim.expiresAt) <= Date.now()) return;
    if (state.claim.kind === 'device-change') return;
    throw terminalBusy(terminalId, state.claim, CHANGE_ONCE_FREE);
  }

  /**
   * Holds the terminal for the change of its device to `dinteroTerminalId`, as a payment holds it (a claim of kind
   * `device-change` on its stream, where the log's expected revision lets one claim win): refused as
   * `TERMINAL_BUSY`, naming what holds it, while a payment, refund or operation does; and none takes it until the
   * store has the new device. Each of those reads the device again once it holds the terminal, so that none is
   * sent to the device swapped out. The hold's id is the change's own: the same change sent again after it was cut
   * off (the hold taken, never ended) takes the same hold rather than wait for it to lapse
   * (`DEVICE_CHANGE_HOLD_MS`).
   */
  private async holdForDeviceChange(
    storeId: string,
    terminalId: string,
    dinteroTerminalId: string,
    context: RegistryContext,
  ) {
    const claimId = deviceChangeClaimId(terminalId, dinteroTerminalId);
    const claimedAt = new Date();
    const claimMetadata = metadata(context, { storeId, terminalId });
    try {
      await claimTerminal(
        this.store,
        {
          terminalId,
          claimId,
          kind: 'device-change',
          paymentId: claimId,
          storeId,
          claimedAt: claimedAt.toISOString(),
          expiresAt: new Date(claimedAt.getTime() + DEVICE_CHANGE_HOLD_MS).toISOString(),
        },
        claimMetadata,
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'TERMINAL_BUSY')
        throw new DomainError('TERMINAL_BUSY', `${error.message}${CHANGE_ONCE_FREE}`, error.details);
      throw error;
    }
    return (reason: 'finished' | 'rejected') =>
      releaseClaim(this.store, { terminalId, claimId, reason, at: new Date().toISOString() }, claimMetadata).catch(
        (error: unknown) =>
          this.logger.warn(
            { err: error, storeId, terminalId, claimId, correlationId: context.correlationId },
            'could not end the hold for a device change; it lapses by itself',
          ),
      );
  }

  /**
   * `TERMINAL_OF_OTHER_STORE` for a name another store has, naming that store only to a key that may use it too (as a
   * start does): to another key, whose terminal it is stays unsaid.
   */
  private async assertNotOfOtherStore(storeId: string, terminalId: string, context: RegistryContext): Promise<void> {
    const { state } = await readState(this.store, terminalStream(terminalId), terminalDecider);
    if (state.storeId !== undefined && state.storeId !== storeId)
      throw new DomainError('TERMINAL_OF_OTHER_STORE', `Terminal ${terminalId} belongs to another store`, {
        terminalId,
        ...(context.mayUse(state.storeId) ? { terminalStoreId: state.storeId } : {}),
      });
  }

  private async storeState(storeId: string): Promise<StoreState> {
    return (await readState(this.store, storeStream(storeId), storeDecider)).state;
  }

  private handle(storeId: string, command: StoreCommand, context: RegistryContext, terminalId?: string) {
    return handleCommand(this.store, storeStream(storeId), storeDecider, command, {
      metadata: metadata(context, { storeId, ...(terminalId ? { terminalId } : {}) }),
    });
  }
}

function metadata(context: RegistryContext, ids: Record<string, string>) {
  const { correlationId, posClientId } = context;
  return { correlationId, causationId: correlationId, occurredAt: now(), posClientId, ...ids };
}

export function terminalView(
  terminalId: string,
  terminal: RegisteredStore['terminals'][string],
): RegisteredTerminalView {
  const { active, dintero } = terminal;
  if (!dintero) return { terminalId, active };
  const { dinteroTerminalId, ...device } = dintero;
  return { terminalId, active, dintero: { terminalId: dinteroTerminalId, ...device } };
}

export function storeView(state: StoreState): StoreView {
  if (state.status !== 'registered') throw new DomainError('UNKNOWN_STORE', 'Store is not registered');
  return {
    ...state.details,
    terminals: Object.entries(state.terminals).map(([terminalId, terminal]) => terminalView(terminalId, terminal)),
  };
}
