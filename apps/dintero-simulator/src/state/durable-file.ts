import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

/** The name a write of `file` by this process goes to before it is renamed over `file`. */
function partialOf(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

/**
 * Replaces `file` with `text` so that whatever stops the write (SIGKILL, a crash of the machine) leaves either the
 * old file whole or the new one whole, never half of one or an empty one. The text goes to a file beside it (same
 * directory, so the rename is atomic), is flushed to the disk, renamed over `file`, and the directory is flushed so
 * that the rename itself survives: without the two fsyncs, a machine's crash may keep the rename and lose the data
 * it points at (an empty file where the state was).
 */
export function writeFileDurably(file: string, text: string): void {
  const partial = partialOf(file);
  const fd = openSync(partial, 'w', 0o600);
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * `writeFileDurably` off the event loop, for the writes made while the simulator runs: the same file beside `file`,
 * the same two fsyncs. One at a time per `file` (they share the name of the partial write).
 */
export async function writeFileDurablyAsync(file: string, text: string): Promise<void> {
  const partial = partialOf(file);
  const handle = await open(partial, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await renameDurably(partial, file);
}

/** Renames `from` over `to` (in the same directory), and flushes the directory so that the rename survives a crash. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  const dir = await open(path.dirname(to), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Removes what writes of `file` killed before their rename left beside it (`<file>.<pid>.tmp`): never read as the
 * state, they would otherwise pile up, one for each kill. Returns their names.
 */
export function removePartialWrites(file: string): string[] {
  const dir = path.dirname(file);
  if (!existsSync(dir)) return [];
  const base = path.basename(file);
  const partial = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.tmp$`);
  const left = readdirSync(dir).filter((name) => partial.test(name));
  for (const name of left) rmSync(path.join(dir, name), { force: true });
  return left;
}

/**
 * Appends `text` to `file` (made if missing) and flushes it to the disk before resolving: what a kill or a machine's
 * crash stops part way is the end of the file, a line torn, that a reader of the file ignores.
 */
export async function appendFileDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
