import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { load } from 'js-yaml';
import { ConfigError, loadConfig } from '@app/platform';
import { loadPosClients } from '../apps/command-service/src/auth/pos-clients.file';
import { CommandServiceConfig } from '../apps/command-service/src/command-service.config';
import { DinteroSimulatorConfig } from '../apps/dintero-simulator/src/dintero-simulator.config';
import { IngestServiceConfig } from '../apps/ingest-service/src/ingest-service.config';
import { placeholdersLeft } from '../apps/engine/src/placeholders';
import { simulatorClient, startSimulator } from './support/simulator';
import { ProjectionsConfig } from '../apps/projections/src/projections.config';

const root = path.join(__dirname, '..');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
// CI installs Debian's docker-compose (.ci/run); a developer's machine without it skips these.
const describeCompose = hasCompose || process.env.CI ? describe : describe.skip;

interface Service {
  readonly environment?: Record<string, string | number>;
  readonly ports?: readonly (string | { host_ip?: string; published?: number })[];
}

/** `docker-compose config` with only this env file: the shell's own variables are kept out. */
function compose(envFile: string, ...args: string[]) {
  return spawnSync('docker-compose', ['--env-file', envFile, ...args, 'config'], {
    cwd: root,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
}

function services(envFile: string, ...args: string[]): Record<string, Service> {
  const result = compose(envFile, ...args);
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return (load(result.stdout) as { services: Record<string, Service> }).services;
}

/** The variables a configuration class reads (its `@Expose` names). */
function variablesOf(schema: new () => object): Set<string> {
  const instance = plainToInstance(schema, {}, { excludeExtraneousValues: true, exposeDefaultValues: true }) as Record<
    string,
    unknown
  >;
  for (const property of Object.keys(instance)) instance[property] = property;
  return new Set(Object.keys(instanceToPlain(instance, { excludeExtraneousValues: true })));
}

const asEnv = (service: Service) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]));

describeCompose('docker-compose.yml', () => {
  const schemas = {
    'command-service': CommandServiceConfig,
    'ingest-service': IngestServiceConfig,
    projections: ProjectionsConfig,
  } as const;

  it.each(['.env.example', 'deploy/simulator.env'])(
    'gives every app, with %s, an environment its configuration accepts',
    (envFile) => {
      const all = services(envFile, '--profile', 'simulator');
      for (const [name, schema] of Object.entries(schemas)) {
        const env = asEnv(all[name]!);
        expect(() => loadConfig<object>(schema, env)).not.toThrow();
        // Never the development defaults: inside a container 127.0.0.1 is the container itself (the projections
        // app reads none of these).
        for (const variable of ['DINTERO_API_URL', 'DINTERO_CHECKOUT_URL', 'INGEST_PUBLIC_URL'])
          if (name !== 'projections') expect(env[variable]).not.toMatch(/127\.0\.0\.1|localhost/);
      }
      expect(() => loadConfig(DinteroSimulatorConfig, asEnv(all['dintero-simulator']!))).not.toThrow();
      for (const app of Object.keys(schemas))
        expect(Object.keys(all['config-check']!.environment ?? {})).toEqual(
          expect.arrayContaining(Object.keys(all[app]!.environment ?? {}).filter((v) => v !== 'PORT')),
        );
    },
  );

  it('gives each app the variables it reads and no others: no secret where it is not used', () => {
    const all = services('.env.example', '--profile', 'simulator');
    for (const [name, schema] of Object.entries(schemas))
      expect({
        name,
        unread: Object.keys(all[name]!.environment ?? {}).filter((v) => !variablesOf(schema).has(v)),
      }).toEqual({
        name,
        unread: [],
      });
  });

  it('is refused by config-check with any placeholder of .env.example left in', () => {
    const env = asEnv(services('.env.example')['config-check']!);
    expect(placeholdersLeft(env)).toEqual(
      expect.arrayContaining([
        'DASHBOARD_SESSION_SECRET still holds the placeholder of .env.example: set it in .env',
        'DINTERO_CLIENT_SECRET still holds the placeholder of .env.example: set it in .env',
        'NATS_URL still holds the placeholder of .env.example: set it in .env',
      ]),
    );
    // A value that merely holds the word is no placeholder.
    expect(
      placeholdersLeft({
        DINTERO_RETURN_URL: 'https://pos.example.com/exchange-method/return',
        INGEST_PUBLIC_URL: 'https://ingest.coin-exchange-media.no',
      }),
    ).toEqual([]);
    // The simulator's settings are its own, and a run against it needs no secret of Dintero's.
    expect(
      placeholdersLeft(asEnv(services('deploy/simulator.env', '--profile', 'simulator')['config-check']!)),
    ).toEqual([]);
  });

  it('wires the apps to the simulator with deploy/simulator.env', () => {
    const all = services('deploy/simulator.env', '--profile', 'simulator');
    expect(asEnv(all['ingest-service']!).DINTERO_API_URL).toBe('http://dintero-simulator:3003');
    expect(asEnv(all['command-service']!).INGEST_PUBLIC_URL).toBe('http://ingest-service:3001');
    const sim = asEnv(all['dintero-simulator']!);
    expect(sim.DINTERO_CALLBACK_SECRET).toBe(asEnv(all['ingest-service']!).DINTERO_CALLBACK_SECRET);
  });

  it('seeds the simulator with what a store needs, and webhooks signed as ingest checks them', async () => {
    const all = services('deploy/simulator.env', '--profile', 'simulator');
    const sim = asEnv(all['dintero-simulator']!);
    expect(sim.SIM_SEED_FILE).toBe('/run/config/simulator-seed.json');
    const seed = JSON.parse(readFileSync(path.join(root, 'deploy/simulator-seed.json'), 'utf8')) as {
      payoutDestinations: string[];
      webhooks: { url: string; secret: string }[];
    };
    expect(seed.payoutDestinations).toContain('demo-seller');
    const ingest = asEnv(all['ingest-service']!);
    expect(seed.webhooks).toEqual([
      { url: `http://ingest-service:${ingest.PORT}/v1/dintero/webhooks`, secret: ingest.DINTERO_WEBHOOK_SECRET },
    ]);
    // The simulator started with it takes a store of that payout destination.
    const running = await startSimulator({ SIM_SEED_FILE: path.join(root, 'deploy/simulator-seed.json') });
    const dintero = simulatorClient(running);
    try {
      await expect(
        dintero.createStore({ storeId: 'compose-1', name: 'Compose 1', payoutDestinationId: 'demo-seller' }),
      ).resolves.toMatchObject({ store_id: 'compose-1', payout_destination: { payout_destination_id: 'demo-seller' } });
    } finally {
      await dintero.close();
      await running.close();
    }
  });

  it('publishes KurrentDB, the dashboard and the simulator on this host only', () => {
    const all = services('.env.example', '--profile', 'simulator');
    for (const name of ['kurrentdb', 'projections', 'dintero-simulator']) {
      for (const port of all[name]!.ports ?? []) {
        const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
        expect({ name, hostIp }).toEqual({ name, hostIp: '127.0.0.1' });
      }
    }
  });

  it('stops with the name of a missing setting', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
    try {
      const example = readFileSync(path.join(root, '.env.example'), 'utf8');
      const envFile = path.join(dir, 'incomplete.env');
      writeFileSync(envFile, example.replace(/^DINTERO_CLIENT_SECRET=.*$/m, ''));
      const result = compose(envFile);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/DINTERO_CLIENT_SECRET/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every variable the file needs in .env.example', () => {
    const needed = new Set(
      [...readFileSync(path.join(root, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map(
        (match) => match[1]!,
      ),
    );
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    for (const variable of needed) expect(example).toMatch(new RegExp(`^${variable}=.+$`, 'm'));
  });
});

describe('a missing POS key file', () => {
  it('is named with what to do, whether it is absent or mounted as an empty directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pos-clients-'));
    try {
      for (const file of [path.join(dir, 'absent.json'), dir]) {
        let error: unknown;
        try {
          loadPosClients(file);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toMatch(/does not exist: make it with `npm run pos-key`/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
