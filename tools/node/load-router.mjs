// The router load run (docs/performance.md): closed-loop HTTP load with autocannon against a running
// `clipfed up` stack. It seeds a user and a few videos through the router, then measures, one after
// the other with the same connections and duration:
//   rest-feed          GET /video/feed through the router (REST facade: rewrite, plan, envelope)
//   graphql-feed       the same operation as one GraphQL request through the router
//   router-video-only  a feed of the video subgraph's own fields, through the router
//   direct-video-only  that query straight at the video subgraph: the router's overhead is the gap
//   federated-feed     the feed with each author's name, like and comment counts and isLiked
// Usage: node load-router.mjs [router base] [video subgraph base] [seconds] [connections] [cases]
// (cases: a comma-separated subset of the names above; all by default).
// Prints one JSON object: per case, requests per second, latency p50/p99 (ms) and failures.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import autocannon from 'autocannon';

const [router = 'http://127.0.0.1:8100', video = 'http://127.0.0.1:8102', seconds = '15', connections = '16', only] =
  process.argv.slice(2);

async function call(url, init) {
  const res = await fetch(url, init);
  return { headers: res.headers, body: await res.json() };
}

function form(fields) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

// A user (new each run) and enough videos for a full feed page.
const name = `load${Date.now() % 1e9}`;
await call(`${router}/user/register`, { method: 'POST', body: form({ username: name, password: 'Load-pass-123' }) });
const login = await call(`${router}/user/login`, { method: 'POST', body: form({ username: name, password: 'Load-pass-123' }) });
const token = login.headers.get('access-token');
if (!token) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
const mp4 = Buffer.concat([Buffer.from('00000018667479706d703432000000006d70343269736f6d', 'hex'), Buffer.alloc(4096, 7)]);
for (let i = 0; i < 10; i++) {
  const f = form({ title: `load video ${i}`, description: 'load run' });
  f.append('data', new Blob([mp4]), 'clip.mp4');
  const r = await call(`${router}/video/publish`, { method: 'POST', headers: { 'access-token': token }, body: f });
  if (r.body.base.code !== 10000) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
}

// What V1 asks for (router/src/rest/table.rs): the video's own fields plus its author id and the
// like and comment counters of the social subgraph.
const v1 =
  'query { feed(pageSize: 10) { items { id author { id } videoUrl coverUrl title description visitCount likeCount commentCount createdAt updatedAt deletedAt } } }';
// The video subgraph's own fields only: the same query can go to the router or straight to it.
const videoOnly = 'query { feed(pageSize: 10) { items { id title description videoUrl coverUrl visitCount createdAt } } }';
const federated =
  'query { feed(pageSize: 10) { items { id title author { username } likeCount commentCount isLiked } } }';
// A subgraph port runs only what the router or a service signed (docs/security.md): the direct
// case carries the client header the router would add for an anonymous visitor, signed with the
// router's Ed25519 key (the development secret unless CLIPFED_ROUTER_SIGNING_KEY names another;
// the key's seed is the SHA-256 of the secret, wrapped here as PKCS#8).
const secret = process.env.CLIPFED_ROUTER_SIGNING_KEY ?? 'dev-only-router-signing-key-change-me-0123456789';
const seed = createHash('sha256').update(secret).digest();
const routerKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
});
const clientPayload = `c2.${Math.floor(Date.now() / 1000) + 3600}.127.0.0.1`;
const clientHeader = `${clientPayload}.${sign(null, Buffer.from(clientPayload), routerKey).toString('base64url')}`;
const post = (query) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'access-token': token },
  body: JSON.stringify({ query }),
});
const allCases = [
  ['rest-feed', { url: `${router}/video/feed?page_size=10`, headers: { 'access-token': token } }],
  ['graphql-feed', { url: `${router}/graphql`, ...post(v1) }],
  ['router-video-only', { url: `${router}/graphql`, ...post(videoOnly) }],
  ['direct-video-only', { url: `${video}/graphql`, ...post(videoOnly), headers: { 'content-type': 'application/json', 'x-clipfed-client': clientHeader } }],
  ['federated-feed', { url: `${router}/graphql`, ...post(federated) }],
];
const wanted = only ? only.split(',') : allCases.map(([label]) => label);
const unknown = wanted.filter((w) => !allCases.some(([label]) => label === w));
if (unknown.length) throw new Error(`unknown cases ${unknown.join(', ')}`);
const cases = allCases.filter(([label]) => wanted.includes(label));

const report = { seconds: Number(seconds), connections: Number(connections), cases: {} };
for (const [label, options] of cases) {
  // A sample answer must be a success (REST failures are HTTP 200 with a code, so the load's
  // status counts alone would not tell).
  const sample = await call(options.url, { method: options.method ?? 'GET', headers: options.headers, body: options.body });
  const ok = sample.body.base ? sample.body.base.code === 10000 : !sample.body.errors;
  if (!ok) throw new Error(`${label}: ${JSON.stringify(sample.body).slice(0, 500)}`);
  // One warm-up second, then the measured run.
  await autocannon({ ...options, connections: Number(connections), duration: 1 });
  console.error(`measuring ${label}`); // `clipfed profile` starts recording here
  const r = await autocannon({ ...options, connections: Number(connections), duration: Number(seconds) });
  report.cases[label] = {
    requests_per_second: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    failures: r.errors + r.timeouts + r.non2xx,
  };
  console.error(`${label}: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`);
}
console.log(JSON.stringify(report, null, 2));
