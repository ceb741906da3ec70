// Composes schema/supergraph.graphql from the subgraph SDLs with The Guild's composition library
// (the one Hive Router's query planner is checked against).
//
//   node compose.mjs SCHEMA_DIR name=url ... [--check]
//
// Each name=url pair is one subgraph: SCHEMA_DIR/<name>.graphql, served at url. Without --check the
// supergraph is written to SCHEMA_DIR/supergraph.graphql. With --check nothing is written and the
// exit status is 1 when the committed file differs from a fresh composition. Composition errors
// are printed, one per line, and exit 2.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const args = process.argv.slice(2);
const check = args.includes('--check');
const [dir, ...pairs] = args.filter((a) => a !== '--check');
if (!dir || pairs.length === 0) {
  console.error('usage: node compose.mjs SCHEMA_DIR name=url ... [--check]');
  process.exit(64);
}
const services = pairs.map((pair) => {
  const [name, url] = pair.split(/=(.*)/s);
  const file = path.join(dir, `${name}.graphql`);
  return { name, url, typeDefs: parse(fs.readFileSync(file, 'utf8')) };
});
const result = composeServices(services);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(2);
}
const target = path.join(dir, 'supergraph.graphql');
const header = '# Composed by `cargo run -p clipfed -- compose` from the subgraph SDLs in this folder; do not edit.\n';
const fresh = header + result.supergraphSdl.trimEnd() + '\n';
if (check) {
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed !== fresh) {
    console.error(`${target} is stale: run \`cargo run -p clipfed -- compose\` and commit it`);
    process.exit(1);
  }
  console.log(`${target} is up to date (${services.length} subgraphs)`);
} else {
  fs.writeFileSync(target, fresh);
  console.log(`wrote ${target} (${services.length} subgraphs)`);
}
