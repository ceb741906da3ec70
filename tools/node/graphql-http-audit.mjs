// Runs every server audit of the `graphql-http` package against the GraphQL endpoint given as the
// first argument and prints one JSON object: {"results":[{"name","status","reason"}...]}.
// The Rust test (crates/kit/tests/graphql_http_audit.rs) decides what passes; this script only reports.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs <url>');
  process.exit(2);
}
const audits = serverAudits({ url });
const results = [];
for (const audit of audits) {
  const result = await audit.fn();
  results.push({ id: audit.id ?? null, name: audit.name, status: result.status, reason: result.reason ?? null });
}
console.log(JSON.stringify({ results }));
