import { readdirSync } from 'node:fs';
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
  {
    usage,
    about,
    registry = false,
    shellFolder = () => [],
  }: {
    readonly usage: string;
    readonly about: string;
    readonly registry?: boolean;
    /**
     * The names in the folder the command was typed in (`namesWhereTyped`): what an unquoted `*` becomes there. Stores
     * that are exactly those names are the shell's `*`, and are refused saying to quote it. Read only when the stores
     * come as several words.
     */
    readonly shellFolder?: () => readonly string[];
  },
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
  if (more.length > 0 && isShellStar([stores, ...more], shellFolder()))
    return {
      exitCode: 2,
      text: `${usage}\n  stores: the shell made * into this folder's file names (${[stores, ...more].join(', ')}); for every store, quote it: '*'`,
    };
  if (more.length > 0)
    return {
      exitCode: 2,
      text: `${usage}\n  stores: one word, comma-separated, as in ${[stores, ...more].join(',')}`,
    };
  return { make: { id, stores, registry: parsed.values.registry === true } };
}

/** Whether `words` are the names an unquoted `*` stands for in `folder` (every one not starting with a dot). */
function isShellStar(words: readonly string[], folder: readonly string[]): boolean {
  const visible = new Set(folder.filter((name) => !name.startsWith('.')));
  return visible.size === words.length && words.every((word) => visible.has(word));
}

/** The names in the folder a key command was typed in (npm's `INIT_CWD`), where the shell expands an unquoted `*`. */
export function namesWhereTyped(): readonly string[] {
  return readdirSync(process.env.INIT_CWD ?? process.cwd());
}
