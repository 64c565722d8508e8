/**
 * The version of what the projections compute from the log. Bump it in any release whose fold gives other documents
 * for the same events (a new field, a day counted another way, a fix to a total): the read models in KV were folded
 * with the version before, keep their old shape and figures until `npm run projections:rebuild`, and the projector
 * says so at start (`foldVersionOutdated`). Not for a change that only reads old documents differently
 * (`document-upgrades.ts`) or adds nothing to them.
 *
 * 1: store days with `refundedOn`, `refundedElsewhere` and `lateCaptureRefunds` (before it, none was recorded).
 * 2: `voided` and `rejected` in a terminal's day counts (`today`) and a store day's `counts` (before it, voided
 * payments and those Dintero refused to start were counted in `payments` and in no outcome).
 * 3: an end-of-day close Dintero reported completed without the terminal's batch closes the batch (`withoutTotals`, on
 * the store day; before it, none was listed, and the next close was compared with both days' sales).
 * 4: a captured payment's entry in a store's `review` says so (`captured`; before it, it read as an open payment's).
 * 5: a close pending while its terminal counted more than 1,000 facts still pends (`closing`): completed without totals,
 * it closes the batch and is on its store day (before it, it was dropped, the next close holding both batches); the
 * latest 50 closes pending are kept, where closes that never end, night after night, were kept for good.
 * 6: past those bounds a close's log side is exact or said unknown (`recordedUnknown`, with `pastBound`, `incomplete`
 * and `closesLetGo` on the terminal), where it was compared with what the batch held then, and showed a difference
 * that was not there (the sales made after the terminal closed, or none of its own).
 * 7: the terminal's first close (no close before it) whose record took the batch of a close made before it, that one's
 * outcome coming after and finding its batch taken past the bounds, says its log side unknown (`recordedUnknown`), where
 * its window was read from the terminal's start of day (the other close's cut), and it kept a difference made of the
 * other's sales; while a device swap waits, a close pending whose batch closes ended meanwhile took past the bound, and
 * a close let go of beyond the 50 kept pending, say theirs unknown too (compared with the batch held then, or taken
 * for the new device's, they showed a difference that was not there); and a close by hand recorded before closes carried
 * their store day, let go of and completed without totals, closes the batch (its request read back from the log),
 * where it was dropped and the next close held both batches.
 * 8: past the 1,000 facts kept with their times while a device swap waits for the old device's close, the swap is kept
 * and the new device's facts summed apart (`openBatch.swappedWhileClosing.pastBound`), where the swap was let go of and
 * both devices shared the batch: the old device's close ending without closing it left its sales in the batch the new
 * device's next close was compared with, which showed a difference that was not there; and a close let go of beyond
 * the 50 kept pending while a swap waits, taken for the old device's, leaves the new device's next close unknown
 * (`swappedWhileClosing.incomplete`), where that close was compared with the let-go close's sales too.
 * 9: a sale heard of late of a terminal's first close completed without totals (no close before it, no start of day)
 * is counted in that close, which shows a mismatch, where it was dropped; and a close let go of beyond the 50 kept
 * pending, taken for the old device's while a swap waits, is named by the swap (`swappedWhileClosing.closes`), where it
 * was then read as the new device's, and the old device's sales at the swap's instant heard of after it were left out
 * of it (a projector started again from KV counted them: the two ended with other documents).
 * 10: a close whose batch a later close of its own device took, past the bound while a swap waits, says that close's
 * log side unknown (`recordedUnknown`), on the terminal or on its store day, where the taker was looked for after the
 * split at the swap, by time alone among both devices' closes: the new device's close was said unknown, and the old
 * device's taker kept a difference made of the lost close's sales; and a close let go of beyond the 50 kept pending,
 * dated after a swap, says unknown the close of the device it is not taken for that closed after it (it may have been
 * that device's close, its batch taken by that one, which kept a difference that was not there): heard of after the
 * split, the old device's close dated after the swap, as when heard of while the swap waited, on its store day too once
 * the terminal holds it no more (a close of the new device became the last: it kept its difference).
 * 11: heard of while the swap waits, such a let-go close says unknown the new device's close ended meanwhile on its
 * store day too once the terminal holds it no more (past the bound the new device's latest close alone is kept: the
 * earlier one kept its difference); the old device's closes dated after a swap that the terminal let go of while the
 * swap waited (the list of closes ended meanwhile past the bound, or the last close replaced by a later one) are named
 * at the split with the rest (`swappedOut.closedAfterSwap`, kept meanwhile in
 * `swappedWhileClosing.closedAfterSwapLetGo`), where only those it held were: a sale of the new device's heard of late
 * was counted in one of them, and a close let go of did not say unknown the one that may have taken its batch; a sale
 * of the new device's heard of late while the swap still waits, past the bound, is counted on its store day in the new
 * device's close whose batch held it (`notHoldingFact`), where an old device's close dated after the swap, whose window
 * opened later, took it (a difference that was not there, beside the terminal's copy of it that had none) and the new
 * device's close showed one too; and the close that took a let-go close's batch, looked for on its store day, is no
 * longer hidden by a close that lost its batch (said unknown, no opening) whose start of day seemed to hold the cut
 * (`takerFrom`); and a close that lost its batch says so (`batchLost`) and takes no fact heard of late, where by the
 * start of day its terminal gave it took one from the close whose batch held it (a difference that was not there). Read
 * models folded by 10 hold the old figures: rebuild them (`npm run projections:rebuild`).
 * 12: a close keeps the device it was sent to (`OperationRequested.dinteroTerminalId`): while it pends
 * (`openBatch.closingOn`) and once ended (`device`, on the terminal and its store day). A close of the device swapped
 * in, asked for after the swap, that Dintero dates before the swap (its clock behind the engine's, whose time the
 * swap's is) closes the batch that device opened at the swap, where by the instants alone it closed before its batch
 * opened and was said to have lost it (`batchLost`, its log side unknown): a mismatch that was not there. And the old
 * device's close that ended before the swap reached the log, dated by Dintero after the swap's instant, is named by the
 * swap (`swappedOut.closedAfterSwap`), where a sale of the new device timed between them (by the engine's clock) was
 * counted in it: the old close and the new device's next one each showed a difference that was not there. Closes
 * folded by 11 name no device, and are read by the instants as before.
 * 13: a capture or refund whose request names the device it was sent to (`PaymentRequested`'s or `RefundRequested`'s
 * `dinteroTerminalId`) is counted in that device's batch and closes alone, where by its time against the swap's instant
 * (Dintero's clock against the engine's) a sale of the new device that Dintero dated before the swap was counted in the
 * batch swapped out with the old device (the new device's close showed it missing), or in the old device's close
 * pending at the swap (that close showed it extra, the new device's missing). While a swap waits, a pending close's
 * batch keeps each fact's device with its time (`countedWhileClosing[].device`). Facts that name no device are told by
 * their time, as before. And a close's device, where it is known, says whose it is in three more places that read it
 * by the instants alone: a projector started again from KV (`withSwapNamingItsCloses`) named a close of the new device
 * that Dintero dated before the swap the old device's, and the old device's last close dated after it the new
 * device's; and the split at a swap opened the new device's batch at the old device's last close dated after the swap
 * rather than at the swap (`closeEnded`). Each sent a sale of the new device heard of late to the old device's close.
 * 14: a sale or refund sent to the old device of a swap still waiting for that device's close, once the old device took
 * the name back (swapped out and in again), is told by its time again: by its device alone, a sale the device made after
 * it came back was the old close's, and went with the batch swapped out at the first swap (its next close showed it
 * missing).
 * 15: a sale or refund sent to a device swapped out that Dintero dates after the swap's instant (its clock ahead of the
 * engine's) is its device's: the close that device ended before the swap reached the log (`closedAfterSwap`) when dated
 * before that close, else the batch swapped out with the device. By its time it went to the batch of the device that has
 * the name now, and that device's next close showed it extra.
 * 16: a sale or refund counted while a close pends keeps its device from the first (`countedWhileClosing[].device`),
 * where it was kept only once a swap waited: a sale of the old device heard of before the swap that Dintero dated after
 * the swap's instant (its clock ahead of the engine's) was told by that time at the swap, the new device's (the old
 * close showed it missing, the new device's next close extra). And the old device's close, once that device took the
 * name back (swapped out and in again), takes the facts sent to it up to its own time, where by their time against the
 * first swap's instant it left those after it to the next batch: its sale dated between that instant and its close
 * (Dintero's clock ahead, or the close run after the device came back) showed missing, and extra in its next close.
 * And a close of the old device that lost its batch while a swap waited looks for its taker on its store day among
 * the closes of its own device (`notTakers`) by the device each close was sent to too, where by the instants alone a
 * close of the new device that Dintero dated before the swap (its clock behind) was taken for one of the old device's:
 * said unknown, though its figures were its own, while the old device's close that took the batch kept its difference.
 * And a close let go of beyond the 50 kept pending while a swap waits, dated before the swap, says unknown the new
 * device's close ended meanwhile that closed after it and took a fact dated by then (`letGoTaker`): it may have been
 * the new device's (Dintero's clock behind), and that close kept its sale as known, a difference that may not be there.
 * A sale or refund sent to the terminal's own name while no device of that id was enrolled on it (Dintero knows the
 * terminal by the chain's name; its first device enrolled is no swap the fold keeps) is told by its time, as when the
 * command service left the name out: read as a third device at a later swap, it was the new device's.
 * And that old device's close, heard of after its next close (the device's since it came back) ended, takes back from
 * that close the facts sent to the device up to its own time (`takenBackAtSwapBack`): the next close kept them, and
 * both showed a difference that was not there. When that close's facts were let go of past the bound, not all after the
 * old close, both say their log side unknown: which of them were the device's is not known.
 * 17: a swapped-back device's old close heard of after a later close of the old device as well, which it takes back
 * from first (`closeBeforeEnded`), takes back from the device's next close too: by that alone the next close kept the
 * device's sales up to the old close. And the old device's facts past the bound of
 * those kept with their times (those naming it by their device, whatever their time) are cut at its close, not at the
 * swap's instant: its sale dated after that instant (Dintero's clock ahead) went to the batch swapped out, past the
 * bound alone, and the close showed it missing. And once the old device took the name back, its close that closed after
 * the first of the facts past the bound summed for the side that has the name says its log side unknown, and so does
 * the device's next close: the device's sales after the first swap are among them, those up to the close its own, and
 * which they are is not known; the close showed them missing and the next close extra. So too when the device's first
 * close since it came back was let go of past the bound (the latest kept alone), having taken its sales up to the old
 * close: it is said unknown on its store day (`takerAmong`), where both kept a difference that was not there.
 * And a sale or refund sent to a device swapped back while its own old close pends (A, B, A again), heard of after one
 * of its old closes ended while another still pends, is counted in the first of the device's closes after it by their
 * times (`swappedBackHolds`), where by its time against the first swap's instant it was the new device's, and went past
 * the old close that held it to the device's next batch: the old close showed it missing, the next close extra. So
 * too one naming no device (a refund recorded late) after the device came back, told by its time the device's: heard of
 * before that close ended, after it, or after the device's next close (`takenBackAtSwapBack`), where it was the next
 * batch's; and once no close pends, where a fact after the first swap was taken for the new device's
 * (`swappedSince`). And once that close ends, the only one pending, the device's next batch opens at it (`backSince`),
 * not at the device's return: a sale of the device's before the old close heard of after its next close ended went to
 * that next close (the old close showed it missing, the next close extra); one naming no device, looked for on the
 * store days, left the old close out (`notHoldingFact`, by the device that had the name at its time). And a close
 * sent to the terminal's own name while no device of that id was enrolled on it names no device (`deviceRead`, as a
 * sale sent to the name): the terminal's first device enrolled while it pends is no swap, and that device's sale before
 * the close, heard of after it ended, was taken for another device's than the close's (the name) and counted in the
 * next batch (the close showed it missing, the next close extra). And once the device that came back is swapped out
 * again (A, B, A, B): its old close heard of after that says its log side unknown when the batch swapped out with it
 * holds its sales since it came back (`backSwappedOutBefore`: their times let go of, it showed them missing); a late
 * sale sent to it after the first swap and before a close of its own since it came back is that close's (`sentBack`),
 * not the batch swapped out at the first swap's; a late sale sent to it after it came back is of that stint, not of
 * the batch it was swapped out with before (`swappedOutAfter`); and its first close since it came back, opened at any
 * swap's instant, is not taken for one after a close let go of past the bound (`letGoBetween`), where the old close
 * said its log side unknown though it agreed. And an old device's close that takes back facts from the device's next
 * close and then finds its batch lost leaves the open batch as it was (the later close corrected all the same), where
 * what it took back stayed there and the device's following close counted it (1 purchase against 0). And an old
 * close heard of after the device's next close that took none of its sales reopens that close's batch at the old close
 * when it opened at a swap (`takenBackFrom`), where a sale of the old batch heard of after both ended went to the next
 * close; and a sale dated before the first of two old closes, heard of after the device's next close and the later old
 * close ended, is held with the later one and taken back by the first when it ends (`beforeLastBatch`), where it was
 * in no close at all. And the batch a swapped-back device gives up when another takes the name again (A, B, A, B)
 * opens at the latest of its old closes before that swap, once they ended (`cutByOldCloses`), or while the first still
 * pends after the latest that ended (`cutWhileWaiting`), where it opened at the device's return: a late sale of the
 * device dated before an old close went into it, and that close showed it missing.
 */
export const FOLD_VERSION = 17;

/**
 * Whether read models folded to `position` with `recorded` (undefined: by a version that recorded none) are of an
 * older fold than this one's. Read models at position 0 hold nothing folded yet, so nothing of an older fold.
 */
export function foldVersionOutdated(position: bigint, recorded: number | undefined): boolean {
  return position > 0n && (recorded ?? 0) < FOLD_VERSION;
}
