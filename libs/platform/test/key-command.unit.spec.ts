import { keyCommand } from '../src/auth/key-command';

describe('keyCommand: the command line of npm run pos-key and operator-key', () => {
  const usage = 'usage: npm run pos-key -- <clientId> <storeId,storeId,...|*> [--registry]';
  const read = (...argv: string[]) => keyCommand(argv, { usage, about: 'Makes a POS API key.', registry: true });

  it('prints its help for --help or -h, wherever it is, and makes no key for a client named "--help"', () => {
    for (const argv of [['--help'], ['-h'], ['--help', '*'], ['pos-oslo', 'oslo-1', '--help']])
      expect(read(...argv)).toEqual({ exitCode: 0, text: `${usage}\nMakes a POS API key.` });
  });

  it('refuses a flag it does not know, naming it', () => {
    expect(read('pos-oslo', 'oslo-1', '--regisrty')).toEqual({
      exitCode: 2,
      text: `Unknown option '--regisrty'\n${usage}`,
    });
    const operator = keyCommand(['manager', 'oslo-1', '--registry'], { usage, about: '' });
    expect(operator).toMatchObject({ exitCode: 2, text: expect.stringMatching(/^Unknown option '--registry'\n/) });
  });

  it('refuses stores given as several words, showing them as one', () => {
    expect(read('pos-oslo', 'oslo-1', 'oslo-2')).toEqual({
      exitCode: 2,
      text: `${usage}\n  stores: one word, comma-separated, as in oslo-1,oslo-2`,
    });
  });

  it('refuses the file names an unquoted * became in the shell, saying to quote it', () => {
    const folder = ['.git', 'Dockerfile', 'README.md', 'apps'];
    const typed = keyCommand(['pos-oslo', 'Dockerfile', 'README.md', 'apps'], {
      usage,
      about: '',
      shellFolder: () => folder,
    });
    expect(typed).toEqual({
      exitCode: 2,
      text: `${usage}\n  stores: the shell made * into this folder's file names (Dockerfile, README.md, apps); for every store, quote it: '*'`,
    });
    // Stores that are not every name of the folder are taken as stores given as several words.
    expect(keyCommand(['pos-oslo', 'oslo-1', 'apps'], { usage, about: '', shellFolder: () => folder })).toMatchObject({
      text: `${usage}\n  stores: one word, comma-separated, as in oslo-1,apps`,
    });
  });

  it('reads the client, its stores and --registry wherever the flag is', () => {
    expect(read('--registry', 'pos-oslo', 'oslo-1,oslo-2')).toEqual({
      make: { id: 'pos-oslo', stores: 'oslo-1,oslo-2', registry: true },
    });
    expect(read('pos-oslo', '*')).toEqual({ make: { id: 'pos-oslo', stores: '*', registry: false } });
  });
});
