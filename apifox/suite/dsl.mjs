// The little language the scenarios are written in, and what it becomes: steps of the Apifox CLI
// format (Postman-runtime items with `metaInfo`, pm.* test scripts). Every assertion is generated
// here, so each step states only its request and what it expects:
//
//   step('注册用户 A', 'POST', '/user/register', { form: { username: '{{a_name}}', password: '{{pass}}' },
//        expect: { code: 10000, data: null } })
//
// `expect.data` is a shape from the OpenAPI document (`apifox/openapi.json`, `shapes.mjs`): the
// step asserts the exact field set and each field's type, recursively. `save` captures values for
// later steps, `pre` and `test` add script lines, `wait` first polls for an eventually consistent state.

import { shapeOf } from './shapes.mjs';

/** The helpers every test script starts with (kept small: Apifox prints scripts in reports). */
const PRELUDE = [
  'const body = pm.response.json();',
  'function clipfedShape(v, s, path) {',
  "  if (s.t === 'obj') {",
  "    pm.expect(v, path + ' is an object').to.be.an('object');",
  "    pm.expect(Object.keys(v).sort(), path + ' fields').to.eql(Object.keys(s.f).sort());",
  "    Object.keys(s.f).forEach(function (k) { clipfedShape(v[k], s.f[k], path + '.' + k); });",
  "  } else if (s.t === 'arr') {",
  "    pm.expect(v, path + ' is an array').to.be.an('array');",
  "    v.forEach(function (x, i) { clipfedShape(x, s.i, path + '[' + i + ']'); });",
  "  } else if (s.t === 'str') {",
  "    pm.expect(v, path + ' is a string').to.be.a('string');",
  "    if (s.p) { pm.expect(v, path).to.match(new RegExp(s.p)); }",
  "  } else if (s.t === 'int') {",
  "    pm.expect(Number.isInteger(v), path + ' is an integer').to.equal(true);",
  "    if (s.min !== undefined) { pm.expect(v, path).to.be.at.least(s.min); }",
  '  }',
  '}',
];

let counter = 0;

/** Step id -> the route it calls (`METHOD /path`) and the code it expects (build.mjs's coverage). */
export const routeOf = new Map();

/**
 * One request and its assertions.
 * @param {string} name    the step's name in the report
 * @param {string} method
 * @param {string} path    with {{variables}}; the base URL is {{baseUrl}}
 * @param {object} o       { query, form, files, headers, auth ('a' = user a's tokens, or false),
 *                           expect: { code, data (a shape name, a shape, or null for none) },
 *                           save: { var: 'js expression' }, pre: [js], test: [js],
 *                           wait: { method, path, form, until, tries } }
 */
export function step(name, method, path, o = {}) {
  counter += 1;
  const expect = o.expect ?? { code: 10000 };
  const headers = [];
  if (o.auth) {
    headers.push({ key: 'Access-Token', value: `{{${o.auth}_access}}` });
    headers.push({ key: 'Refresh-Token', value: `{{${o.auth}_refresh}}` });
  }
  for (const [key, value] of Object.entries(o.headers ?? {})) headers.push({ key, value });
  const query = Object.entries(o.query ?? {}).map(([key, value]) => ({ key, value: String(value) }));
  const raw = `{{baseUrl}}${path}${query.length ? '?' + query.map((q) => `${q.key}=${q.value}`).join('&') : ''}`;
  const request = {
    method,
    header: headers,
    url: { raw, host: ['{{baseUrl}}'], path: path.split('/').filter(Boolean), query },
  };
  const form = Object.entries(o.form ?? {}).map(([key, value]) => ({ key, value: String(value), type: 'text' }));
  const files = Object.entries(o.files ?? {}).map(([key, src]) => ({ key, src, type: 'file' }));
  if (form.length || files.length) request.body = { mode: 'formdata', formdata: [...form, ...files] };

  const code = expect.code ?? 10000;
  routeOf.set(`step-${counter}`, { route: `${method} ${path}`, code });
  const base =
    code === 10000
      ? ["  pm.expect(body.base).to.eql({ code: 10000, msg: 'success' });"]
      : [`  pm.expect(body.base.code).to.equal(${code});`,
          "  pm.expect(body.base.msg, 'a readable msg').to.be.a('string').and.not.empty;"];
  const test = [
    ...PRELUDE,
    `pm.test('base.code is ${code}', function () {`,
    "  pm.expect(body.base, 'base').to.be.an('object');",
    ...base,
    '});',
  ];
  if (code !== 10000 || expect.data === null) {
    test.push(`pm.test('no data', function () { pm.expect(body).to.not.have.property('data'); });`);
  } else if (expect.data !== undefined) {
    const shape = typeof expect.data === 'string' ? shapeOf(expect.data) : expect.data;
    test.push(
      `pm.test('data fields and types', function () { clipfedShape(body.data, ${JSON.stringify(shape)}, 'data'); });`,
    );
  }
  for (const line of o.test ?? []) test.push(line);
  for (const [variable, expr] of Object.entries(o.save ?? {})) {
    test.push(`pm.environment.set('${variable}', ${expr});`);
  }

  const pre = [...(o.pre ?? []), ...(o.wait ? waitLines(o.wait) : [])];
  const event = [{ listen: 'test', script: { type: 'text/javascript', exec: test } }];
  if (pre.length) event.unshift({ listen: 'prerequest', script: { type: 'text/javascript', exec: pre } });
  return {
    id: `step-${counter}`,
    name,
    type: 'http',
    metaInfo: { type: 'http', id: `step-${counter}` },
    request,
    event,
  };
}

/**
 * Pre-request lines that wait for an eventually consistent state (Kafka-fed counters, indexes and
 * the services' knowledge of new users and videos): `GET path` (or a form POST) is asked up to
 * `tries` times, 500 ms apart, until `until` holds of its `body`; then the step's own request runs
 * once and its assertions judge it (so the report counts one request per step).
 */
function waitLines({ method = 'GET', path, form, until, tries = 40 }) {
  const body = form
    ? `, body: { mode: 'urlencoded', urlencoded: ${JSON.stringify(Object.entries(form).map(([key, value]) => ({ key, value: String(value) })))}.map(function (p) { return { key: p.key, value: pm.variables.replaceIn(p.value) }; }) }`
    : '';
  return [
    `const clipfedWait = { url: pm.variables.replaceIn(${JSON.stringify('{{baseUrl}}' + path)}), method: '${method}'${body} };`,
    '(function clipfedPoll(left) {',
    '  pm.sendRequest(clipfedWait, function (err, res) {',
    '    let ready = false;',
    `    try { const body = res.json(); ready = (${until}); } catch (e) { ready = false; }`,
    '    if (!ready && left > 0) { setTimeout(function () { clipfedPoll(left - 1); }, 500); }',
    '  });',
    `})(${tries});`,
  ];
}

/** A test line: `check('title', 'js assertion lines...')`. */
export function check(title, ...lines) {
  return `pm.test(${JSON.stringify(title)}, function () { ${lines.join(' ')} });`;
}

/** Script lines that give user `who` a fresh unique name (so the suite runs on any database, twice). */
export function freshUser(who) {
  return [
    `pm.environment.set('${who}_name', 'ax' + Date.now().toString(36) + Math.random().toString(36).slice(2, 7));`,
    `pm.environment.set('${who}_pass', 'Apifox-pass-7' + Math.random().toString(36).slice(2, 10));`,
  ];
}

/** Register then log in user `who`: its name, tokens and id land in {{who_name}}, {{who_access}}, ... */
export function signUp(label, who) {
  return [
    step(`${label}: 注册 ${who}`, 'POST', '/user/register', {
      pre: freshUser(who),
      form: { username: `{{${who}_name}}`, password: `{{${who}_pass}}` },
      expect: { code: 10000, data: null },
    }),
    step(`${label}: 登录 ${who}`, 'POST', '/user/login', {
      form: { username: `{{${who}_name}}`, password: `{{${who}_pass}}` },
      expect: { code: 10000, data: 'User' },
      test: [
        check('tokens in the headers', "pm.expect(pm.response.headers.get('Access-Token')).to.be.a('string').and.not.empty;",
          "pm.expect(pm.response.headers.get('Refresh-Token')).to.be.a('string').and.not.empty;"),
        check('the user logged in', `pm.expect(body.data.username).to.equal(pm.environment.get('${who}_name'));`),
      ],
      save: {
        [`${who}_access`]: "pm.response.headers.get('Access-Token')",
        [`${who}_refresh`]: "pm.response.headers.get('Refresh-Token')",
        [`${who}_id`]: 'body.data.id',
      },
    }),
  ];
}

/** Apifox CLI collection of `scenarios` ([{ name, steps }]): one scenario holding every step in
 * order (the runner counts requests of the first scenario only), step names prefixed by area. */
export function collection(title, scenarios) {
  return {
    apifoxCli: '1.1.0',
    info: { name: title, description: 'Generated by apifox/build.mjs from apifox/suite/; edit those, then `cargo run -p clipfed -- apifox --write`.' },
    item: [{ name: title, item: scenarios.flatMap((s) => s.steps.map((st) => ({ ...st, name: `[${s.name}] ${st.name}` }))) }],
  };
}
