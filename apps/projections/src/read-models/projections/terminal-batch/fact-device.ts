import type { TerminalDoc } from '../../read-model.types';

/**
 * The device a sale or refund was sent to (`dinteroTerminalId`) as the batch reads it: none for the terminal's own name
 * (`terminalId`) while no device of that id was enrolled on the terminal (it has the name, a swap waits for it, or a
 * batch was swapped out with it). The command service names the device always, the terminal's own name too where
 * Dintero knows the terminal by it, registered without a device: the first device enrolled then is no swap the fold
 * keeps (the name named no device before), and a sale sent to the name, read as another device than the swap's two, was
 * taken for the new device's, its close showing it missing. Read as naming none, it is told by its time, as it was
 * when the command service left the name out.
 */
export function deviceRead(doc: TerminalDoc | undefined, terminalId: string, device: string | undefined) {
  if (device === undefined || device !== terminalId) return device;
  const enrolled =
    doc?.device === device ||
    doc?.openBatch?.swappedWhileClosing?.device === device ||
    Object.values(doc?.swappedOut ?? {}).some((batch) => batch.device === device);
  return enrolled ? device : undefined;
}
