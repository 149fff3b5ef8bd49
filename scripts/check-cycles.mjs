// Fails when the relative imports under a folder form a cycle (type-only imports excluded).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
  }
})(root);

const edges = new Map();
const importRe = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
for (const file of files) {
  const src = readFileSync(file, 'utf8');
  const deps = [];
  for (const m of src.matchAll(importRe)) deps.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  edges.set(file, deps);
}

const state = new Map();
const stack = [];
let cycles = 0;
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const d of edges.get(f) ?? []) {
    if (!edges.has(d)) continue;
    if (state.get(d) === 1) {
      cycles++;
      const from = stack.indexOf(d);
      console.error('import cycle: ' + [...stack.slice(from), d].map((p) => p.slice(root.length + 1)).join(' -> '));
    } else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of files) if (!state.has(f)) visit(f);
if (cycles > 0) process.exit(1);
console.log(`no import cycles among ${files.length} files`);
