// Compiles apps/, libs/ and bench/ to dist/ with swc (type checking is `npm run typecheck`), and copies
// the files under any `public/` folder (the dashboard's page) beside the compiled code. The new tree replaces
// dist/ at once, when it is complete.
// A plain swc pass rather than `nest build` per app: one pass over the whole monorepo takes about a
// second, where four webpack or tsc builds take a minute on a 2-core machine.
import { copyFile, readdir, mkdir, writeFile, rm, rename } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { transformFile } from '@swc/core';
import { processRunning } from './preflight.mjs';

const require = createRequire(import.meta.url);
const { swcOptions, root } = require('./swc-options.cjs');
const sources = ['apps', 'libs', 'bench', 'test/support'];
const distDir = path.join(root, 'dist');
// Built beside dist/ and swapped in whole at the end: apps already running from dist/ (an engine of another data
// folder, a test) never meet a tree half removed or half written, as they did while dist/ was emptied and rebuilt.
const outDir = path.join(root, '.tmp', `dist-${process.pid}`);

/** Trees of builds that ended before swapping theirs in (killed, failed): their process is gone. */
async function removeTreesLeftBehind() {
  const tmp = path.join(root, '.tmp');
  const entries = await readdir(tmp).catch(() => []);
  for (const entry of entries) {
    const pid = Number(/^dist-(?:previous-)?(\d+)/.exec(entry)?.[1]);
    if (pid && !processRunning(pid)) await rm(path.join(tmp, entry), { recursive: true, force: true });
  }
}

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (full.split(path.sep).includes('public')) yield full;
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      yield full;
  }
}

await removeTreesLeftBehind();
await rm(outDir, { recursive: true, force: true });
const options = swcOptions();
let count = 0;
const jobs = [];
for (const source of sources) {
  for await (const file of walk(path.join(root, source))) {
    if (!file.endsWith('.ts')) {
      const copy = path.join(outDir, path.relative(root, file));
      jobs.push(mkdir(path.dirname(copy), { recursive: true }).then(() => copyFile(file, copy)));
      continue;
    }
    const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    // The source map's paths are made from where the file will be read: in dist/, not where it is written.
    const readFrom = path.join(distDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    jobs.push(
      transformFile(file, { ...options, filename: file, outputPath: readFrom }).then(async (output) => {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, `${output.code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
        if (output.map) await writeFile(`${target}.map`, output.map);
        count += 1;
      }),
    );
  }
}
await Promise.all(jobs);
await swapIn(outDir);
console.log(`built ${count} files into dist/`);

/**
 * Puts the new tree where dist/ was: the old one moved aside, then the new one moved in (renames on one file
 * system: dist/ is absent for that instant only). Another build that swapped its tree in between makes the move
 * in fail (ENOTEMPTY): its tree is moved aside in turn, and the move tried again.
 */
async function swapIn(tree) {
  const aside = [];
  for (let attempt = 0; ; attempt++) {
    const previous = path.join(root, '.tmp', `dist-previous-${process.pid}-${attempt}`);
    await rename(distDir, previous).then(
      () => aside.push(previous),
      (error) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
    try {
      await rename(tree, distDir);
      break;
    } catch (error) {
      if ((error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') || attempt >= 5) throw error;
    }
  }
  await Promise.all(aside.map((previous) => rm(previous, { recursive: true, force: true })));
}
