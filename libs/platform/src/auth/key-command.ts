import { parseArgs } from 'node:util';

/** What `npm run pos-key` or `npm run operator-key` was asked: a key to make, or words to print and an exit code. */
export type KeyCommand =
  | { readonly make: { readonly id: string; readonly stores: string; readonly registry: boolean } }
  | { readonly exitCode: 0 | 2; readonly text: string };

/**
 * Reads the command line of a command that makes a key (`pos-key`, `operator-key`). Node's `parseArgs`, strictly:
 * `--help` was once taken for the holder's id, and `npm run pos-key -- --help '*'` printed a key for a client named
 * `--help`; a misspelt flag or stores given as several words are refused, naming them.
 */
export function keyCommand(
  argv: readonly string[],
  { usage, about, registry = false }: { readonly usage: string; readonly about: string; readonly registry?: boolean },
): KeyCommand {
  const help = `${usage}\n${about}`;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, ...(registry ? { registry: { type: 'boolean' } } : {}) },
    });
  } catch (error) {
    // Its first sentence ("Unknown option '--regisrty'"): the rest explains `--`, of no use with these commands.
    return { exitCode: 2, text: `${(error as Error).message.split('. ')[0]}\n${usage}` };
  }
  if (parsed.values.help === true) return { exitCode: 0, text: help };
  const [id = '', stores = '', ...more] = parsed.positionals;
  if (more.length > 0)
    return {
      exitCode: 2,
      text: `${usage}\n  stores: one word, comma-separated, as in ${[stores, ...more].join(',')}`,
    };
  return { make: { id, stores, registry: parsed.values.registry === true } };
}
