// Stress until it breaks (docs/performance.md, `clipfed bench --only stress`): the feed through
// the router (REST and GraphQL) and likes through the router, each at rising connection counts,
// until failures pass 1 % of requests or p99 passes 1 s (that level is the last one run). Each
// level is a run of load-router.mjs (one case) or load-likes.mjs (one user per connection), so
// every figure means what it means in their own reports.
// Usage: node stress.mjs [router base] [video subgraph base] [seconds per level] [feed levels] [like levels]
// (levels: comma-separated connection counts, rising). Prints one JSON object: per case and
// level, requests (or actions) per second, p50/p99 (ms), failures, and for likes whether the
// counters became exact within 60 s (`converged_seconds`, null when not).
import { spawn } from 'node:child_process';

const [
  router = 'http://127.0.0.1:8100',
  video = 'http://127.0.0.1:8102',
  seconds = '10',
  feedLevels = '16,64,256,1024',
  likeLevels = '16,64,256',
] = process.argv.slice(2);

/** Runs one of the load scripts; its JSON report (stdout), or null with the error it died of. */
function run(script, args) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: import.meta.dirname });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      let report = null;
      try {
        report = JSON.parse(out);
      } catch {
        // not JSON: the run died before reporting
      }
      // The error's own line (a stack trace's last lines name only Node's internals).
      const lines = err.trim().split('\n');
      done({ code, report, tail: lines.findLast((l) => /Error\b/.test(l)) ?? lines.at(-1) ?? '' });
    });
  });
}

// Past 1 % failures or a p99 over 1 s: the level broke, and is the last one run.
const broke = (row, seconds) => row.failures > 0.01 * Math.max(row.requests_per_second * seconds, 1) || row.p99_ms > 1000;

const cases = {};
for (const label of ['rest-feed', 'graphql-feed']) {
  for (const level of feedLevels.split(',')) {
    const { report, tail } = await run('load-router.mjs', [router, video, seconds, level, label]);
    const row = report?.cases?.[label];
    if (!row) {
      cases[`${label}@${level}`] = { requests_per_second: null, p50_ms: null, p99_ms: null, failures: null, converged_seconds: null, note: tail };
      break;
    }
    cases[`${label}@${level}`] = { ...row, converged_seconds: null, note: '' };
    console.error(`${label}@${level}: ${row.requests_per_second} req/s, p99 ${row.p99_ms} ms, ${row.failures} failed`);
    if (broke(row, Number(seconds))) break;
  }
}
for (const level of likeLevels.split(',')) {
  const { report, tail } = await run('load-likes.mjs', [router, seconds, level, '50']);
  if (!report) {
    cases[`likes@${level}`] = { requests_per_second: null, p50_ms: null, p99_ms: null, failures: null, converged_seconds: null, note: tail };
    break;
  }
  const row = {
    requests_per_second: report.actions_per_second,
    p50_ms: report.p50_ms,
    p99_ms: report.p99_ms,
    failures: report.failures,
    converged_seconds: report.converged_seconds,
    note: report.converged_seconds === null ? 'counters not exact within 60 s' : '',
  };
  cases[`likes@${level}`] = row;
  console.error(`likes@${level}: ${row.requests_per_second} actions/s, p99 ${row.p99_ms} ms, ${row.failures} failed, converged ${row.converged_seconds}`);
  if (broke(row, Number(seconds)) || row.converged_seconds === null) break;
}
console.log(JSON.stringify({ seconds: Number(seconds), cases }, null, 2));
