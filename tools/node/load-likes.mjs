// The likes load run (docs/performance.md, `clipfed bench`): closed-loop likes through the router's
// REST facade, then how long the counters take to be exact.
//   1. registers CONNECTIONS users and publishes VIDEOS small videos (all through the router);
//      the router's per-user write limit (120 a minute) must be lifted for the load to pass:
//      `clipfed bench` does (CLIPFED_ROUTER_WRITES_PER_MINUTE), and refusals count as failures;
//   2. each connection is one user: it likes a random video, or cancels its like when it already
//      likes that one (so the load mixes inserts and deletes), for SECONDS; every answer's
//      envelope code is read, and only successful actions count;
//   3. reads every user's liked list (the like rows), checks it against the answers (they differ
//      only by requests in flight when the load stopped), then polls `videos(ids) { likeCount }`
//      through the router until every counter equals the rows, and reports the time from the end
//      of the load until then.
// Usage: node load-likes.mjs [router base] [seconds] [connections] [videos]
// Prints one JSON object: actions/s, latency p50/p99 (ms), failures, counters, convergence (s).
import autocannon from 'autocannon';

const [router = 'http://127.0.0.1:8100', seconds = '15', connections = '16', videoCount = '50'] =
  process.argv.slice(2);
const clients = Number(connections);

async function rest(path, fields, token) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  const res = await fetch(`${router}${path}`, { method: 'POST', headers: token ? { 'access-token': token } : {}, body });
  return { headers: res.headers, body: await res.json() };
}

async function user(name) {
  await rest('/user/register', { username: name, password: 'Load-pass-123' });
  const login = await rest('/user/login', { username: name, password: 'Load-pass-123' });
  const token = login.headers.get('access-token');
  if (!token) throw new Error(`login of ${name} failed: ${JSON.stringify(login.body)}`);
  return token;
}

const run = Date.now() % 1e9;
const tokens = [];
for (let i = 0; i < clients; i++) tokens.push(await user(`likes${run}u${i}`));
const mp4 = Buffer.concat([Buffer.from('00000018667479706d703432000000006d70343269736f6d', 'hex'), Buffer.alloc(4096, 7)]);
const videos = [];
for (let i = 0; i < Number(videoCount); i++) {
  const f = new FormData();
  f.append('title', `likes ${run} ${i}`);
  f.append('description', 'likes load run');
  f.append('data', new Blob([mp4]), 'clip.mp4');
  // Spread over the users: the router allows each user 30 uploads a minute.
  const r = await fetch(`${router}/video/publish`, { method: 'POST', headers: { 'access-token': tokens[i % clients] }, body: f });
  const body = await r.json();
  if (body.base.code !== 10000) throw new Error(`publish failed: ${JSON.stringify(body)}`);
}
// The videos just published are the newest of each user's list.
for (const token of tokens) {
  const list = await fetch(`${router}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'access-token': token },
    body: JSON.stringify({ query: 'query { me { videos(pageSize: 100) { items { id } } } }' }),
  }).then((r) => r.json());
  for (const item of list.data?.me?.videos?.items ?? []) videos.push(item.id);
}
if (videos.length !== Number(videoCount)) throw new Error(`expected ${videoCount} videos, found ${videos.length}`);

// The social service learns of new videos from video.events: wait until it knows each one (a
// like and its cancel by the first user succeed).
async function likeAction(video, action) {
  const res = await fetch(`${router}/like/action`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'access-token': tokens[0] },
    body: `video_id=${video}&action_type=${action}`,
  });
  return (await res.json()).base.code;
}
for (const video of videos) {
  const deadline = Date.now() + 30_000;
  while ((await likeAction(video, 1)) !== 10000) {
    if (Date.now() > deadline) throw new Error(`video ${video} never became likeable`);
    await new Promise((done) => setTimeout(done, 100));
  }
  const cancelled = await likeAction(video, 2);
  if (cancelled !== 10000) throw new Error(`cancelling the probe like of ${video} failed: ${cancelled}`);
}

// Net successful likes per video, from the answers. autocannon resets a connection's context
// before each request, so a user's likes are kept here, and each request takes a user no other
// request is using (there are as many users as connections), so a user's actions never race.
const expected = new Map(videos.map((id) => [id, 0]));
const liked = tokens.map(() => new Set());
const busy = new Set();
let nextUser = 0;
let refused = 0;
const codes = new Map();
const requests = [
  {
    method: 'POST',
    path: '/like/action',
    setupRequest(req, ctx) {
      let user = nextUser++ % tokens.length;
      while (busy.has(user)) user = nextUser++ % tokens.length;
      busy.add(user);
      const video = videos[Math.floor(Math.random() * videos.length)];
      ctx.user = user;
      ctx.video = video;
      ctx.cancel = liked[user].has(video);
      return {
        ...req,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'access-token': tokens[user] },
        body: `video_id=${video}&action_type=${ctx.cancel ? 2 : 1}`,
      };
    },
    onResponse(status, body, ctx) {
      busy.delete(ctx.user);
      let code;
      try {
        code = JSON.parse(body).base.code;
      } catch {
        code = undefined;
      }
      if (status !== 200 || code !== 10000) {
        refused++;
        codes.set(code ?? status, (codes.get(code ?? status) ?? 0) + 1);
        return;
      }
      if (ctx.cancel) liked[ctx.user].delete(ctx.video);
      else liked[ctx.user].add(ctx.video);
      expected.set(ctx.video, expected.get(ctx.video) + (ctx.cancel ? -1 : 1));
    },
  },
];

console.error('measuring likes'); // `clipfed profile` starts recording here
const r = await autocannon({ url: router, connections: clients, duration: Number(seconds), requests });
const stopped = Date.now();
// The truth is the like rows: each user's liked list (read from the likes tables, synchronously).
// The answers alone cannot give it: requests in flight when the load stopped were carried out
// but their answers were never read.
async function graphql(query, token) {
  const res = await fetch(`${router}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'access-token': token } : {}) },
    body: JSON.stringify({ query }),
  });
  return res.json();
}
const rows = new Map(videos.map((id) => [id, 0]));
for (const token of tokens) {
  const answer = await graphql('query { me { likedVideos(pageSize: 100) { items { id } } } }', token);
  const items = answer.data?.me?.likedVideos?.items;
  if (!items) throw new Error(`liked list: ${JSON.stringify(answer)}`);
  for (const { id } of items) if (rows.has(id)) rows.set(id, rows.get(id) + 1);
}
const unanswered = [...videos].reduce((n, id) => n + Math.abs(rows.get(id) - expected.get(id)), 0);
if (unanswered > clients) throw new Error(`the like rows differ from the answers by ${unanswered} (more than the ${clients} requests that can be in flight)`);
const query = `query { videos(ids: ${JSON.stringify(videos)}) { id likeCount } }`;
let converged = null;
let last = [];
while (Date.now() - stopped < 60_000) {
  const answer = await graphql(query);
  last = answer.data?.videos ?? [];
  if (last.length === videos.length && last.every((v) => v.likeCount === rows.get(v.id))) {
    converged = (Date.now() - stopped) / 1000;
    break;
  }
  await new Promise((done) => setTimeout(done, 100));
}
const likes = [...rows.values()].reduce((a, b) => a + b, 0);
const report = {
  seconds: Number(seconds),
  connections: clients,
  videos: videos.length,
  actions_per_second: r.requests.average,
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  failures: r.errors + r.timeouts + r.non2xx + refused,
  refused_by_code: Object.fromEntries(codes),
  likes_standing: likes,
  converged_seconds: converged,
};
console.error(
  `likes: ${r.requests.average} actions/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
    `${report.failures} failed, ${likes} likes standing, ` +
    (converged === null ? 'counters NOT exact after 60 s' : `counters exact ${converged} s after the load`),
);
console.log(JSON.stringify(report, null, 2));
if (converged === null) {
  const wrong = last.filter((v) => v.likeCount !== rows.get(v.id)).slice(0, 5);
  console.error(`counters off (video, counter, rows): ${JSON.stringify(wrong.map((v) => [v.id, v.likeCount, rows.get(v.id)]))}`);
  process.exit(1);
}
