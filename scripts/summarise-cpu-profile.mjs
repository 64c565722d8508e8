// Summarises a .cpuprofile (from APP_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof", docs/benchmarks.md): self time by
// function and by package, inclusive time by package and by our functions (apps/, libs/); ALL=1 adds inclusive
// time by every function. A frame is counted once a sample however often it recurs.
// Usage: node scripts/summarise-cpu-profile.mjs <file.cpuprofile> [rows, 25]
import { readFileSync } from 'node:fs';
const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const d = p.timeDeltas[i + 1] ?? 0;
  dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
}
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const pkgOf = (url) => {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? rest[0] + '/' + rest[1] : rest[0];
  }
  const d = url.indexOf('/dist/');
  if (d >= 0)
    return url
      .slice(d + 6)
      .split('/')
      .slice(0, 3)
      .join('/');
  return url;
};
const fnKey = (n) =>
  `${n.callFrame.functionName || '(anon)'} ${pkgOf(n.callFrame.url)}${n.callFrame.url && !n.callFrame.url.includes('node_modules') ? ':' + n.callFrame.url.split('/').pop() + ':' + (n.callFrame.lineNumber + 1) : ''}`;
const self = new Map(),
  selfPkg = new Map(),
  incl = new Map(),
  inclPkg = new Map();
for (const [id, d] of dt) {
  const n = byId.get(id);
  const k = fnKey(n);
  self.set(k, (self.get(k) ?? 0) + d);
  const pk = pkgOf(n.callFrame.url);
  selfPkg.set(pk, (selfPkg.get(pk) ?? 0) + d);
  const seenF = new Set(),
    seenP = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const m = byId.get(cur);
    const fk = fnKey(m),
      pkk = pkgOf(m.callFrame.url);
    if (!seenF.has(fk)) {
      seenF.add(fk);
      incl.set(fk, (incl.get(fk) ?? 0) + d);
    }
    if (!seenP.has(pkk)) {
      seenP.add(pkk);
      inclPkg.set(pkk, (inclPkg.get(pkk) ?? 0) + d);
    }
  }
}
const show = (title, m, filter = () => true) => {
  console.log(`\n== ${title} (total ${(total / 1e6).toFixed(2)} s)`);
  [...m]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, v]) =>
      console.log(`${(v / 1e6).toFixed(2).padStart(7)} s ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`),
    );
};
show('self by function', self);
show('self by package', selfPkg);
show('inclusive by package', inclPkg, (k) => !['(native)'].includes(k));
show('inclusive by our function', incl, (k) => /(apps|libs)\//.test(k));
if (process.env.ALL) show('inclusive all', incl, (k) => !/^\(/.test(k));
