import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/** `npm run pos-key` and `npm run operator-key` as a reader runs them: from source, through register-ts. */
const run = (cli: string, ...args: string[]) =>
  spawnSync(process.execPath, ['-r', './scripts/register-ts.cjs', cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('the commands that make keys, asked for help', () => {
  it.each([
    ['pos-key', 'apps/command-service/src/auth/pos-key.cli.ts', 'POS_CLIENTS_FILE'],
    ['operator-key', 'apps/projections/src/operators/operator-key.cli.ts', 'OPERATORS_FILE'],
  ])('npm run %s -- --help "*" prints what it does, and makes no key for a holder named --help', (name, cli, file) => {
    const help = run(cli, '--help', '*');
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toContain(`usage: npm run ${name} -- `);
    expect(help.stdout).toContain(file);
    expect(help.stdout).not.toContain('--help (shown once');
    expect(help.stdout).not.toContain('keySha256');
  });

  it('refuses a misspelt flag, naming it, and prints no key', () => {
    const typo = run('apps/command-service/src/auth/pos-key.cli.ts', 'pos-oslo', 'oslo-1', '--regisrty');
    expect(typo).toMatchObject({ status: 2, stdout: '' });
    expect(typo.stderr).toMatch(/^Unknown option '--regisrty'\nusage: npm run pos-key/);
  });
});

describe('npm run pos-key with --registry before --, which npm keeps for itself', () => {
  it('says the key may not register stores and how to ask for one that may, rather than only print registry: false', () => {
    // npm takes `--registry` as its own setting (its package registry), warns that "true" is no URL, and hands the
    // script nothing: no variable tells the script of it, so the entry printed says registry: false at exit 0.
    const typed = spawnSync('npm', ['run', '-s', 'pos-key', 'pos-oslo', 'oslo-1', '--registry'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(typed.status).toBe(0);
    expect(typed.stdout).toContain('"registry":false');
    expect(typed.stderr).toContain(
      'This key may not register or change stores or terminals. For one that may, put --registry after --, ' +
        'as in npm run pos-key -- pos-oslo oslo-1 --registry (npm keeps a --registry before -- for itself)',
    );
  });
});
