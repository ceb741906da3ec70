// Writes the Apifox suite (clipfed.apifox-cli.json, the format `apifox run` takes) from the
// scenarios in suite/, and checks that every route of openapi.json has a success step and a
// bad-input step. `node build.mjs --check` fails when the committed file is stale instead.

import { readFileSync, writeFileSync } from 'node:fs';

import { collection, routeOf } from './suite/dsl.mjs';
import { routes } from './suite/shapes.mjs';
import users from './suite/users.mjs';
import videos from './suite/videos.mjs';
import { commentsArea, likes, relations } from './suite/social.mjs';
import search from './suite/search.mjs';

const SCENARIOS = [users, videos, likes, commentsArea, relations, search];
const OUT = new URL('./clipfed.apifox-cli.json', import.meta.url);

function coverage() {
  const seen = new Map();
  for (const s of SCENARIOS) {
    for (const st of s.steps) {
      const { route: key, code } = routeOf.get(st.id);
      const entry = seen.get(key) ?? { ok: 0, bad: 0 };
      if (code === 10000) entry.ok += 1;
      else entry.bad += 1;
      seen.set(key, entry);
    }
  }
  const problems = [];
  for (const route of routes()) {
    const e = seen.get(route);
    if (!e || !e.ok) problems.push(`${route}: no success step`);
    if (!e || !e.bad) problems.push(`${route}: no bad-input step`);
  }
  for (const key of seen.keys()) if (!routes().includes(key)) problems.push(`${key}: not a route of openapi.json`);
  return problems;
}

const problems = coverage();
const text = JSON.stringify(collection('clipfed west2 REST', SCENARIOS), null, 2) + '\n';
const steps = SCENARIOS.reduce((n, s) => n + s.steps.length, 0);
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(OUT, 'utf8'); } catch { /* missing */ }
  if (current !== text) problems.push('apifox/clipfed.apifox-cli.json is stale: cargo run -p clipfed -- apifox --write');
} else {
  writeFileSync(OUT, text);
}
for (const p of problems) console.error(`✘ ${p}`);
console.error(`${problems.length ? '✘' : '✔'} apifox suite: ${SCENARIOS.length} scenarios, ${steps} steps, ${routes().length} routes each with a success and a bad-input step${problems.length ? `; ${problems.length} problems` : ''}`);
process.exit(problems.length ? 1 : 0);
