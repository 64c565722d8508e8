/**
 * A terminal's batch beside the log, as the terminal read model folds it: what it counts (`count-in-batch`), its closes
 * (`terminal-close`), the closes that ended while another pended (`closes-ended-meanwhile`), a device swapped under it
 * (`device-swap`), which close a fact belongs to (`batch-windows`), and the figures themselves (`batch-figures`).
 */
export { compared, countInClose, saidUnknown, type Counted } from './terminal-batch/batch-figures';
export { beforeLastBatch, closeHolding, openingFor, takerFrom } from './terminal-batch/batch-windows';
export { closesHeld, sharingLastClose } from './terminal-batch/closes-ended-meanwhile';
export { countedBeforeLastBatch, countInBatch } from './terminal-batch/count-in-batch';
export {
  deviceSwapped,
  inSwappedOut,
  notHoldingFact,
  sameDevice,
  withSwapNamingItsCloses,
} from './terminal-batch/device-swap';
export { deviceRead } from './terminal-batch/fact-device';
export { notTakers, type LostSwap, type TakerAmong } from './terminal-batch/lost-batch-taker';
export { closeAbandoned, closeBatch, closeReported, closeRequested, withClose } from './terminal-batch/terminal-close';
