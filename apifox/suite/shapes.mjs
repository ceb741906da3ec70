// The `data` shapes the suite asserts, read from the REST facade's OpenAPI document
// (apifox/openapi.json, generated from the router's route table): a field set and a type per
// field, recursively. A facade that renames or drops a field fails the suite.

import { readFileSync } from 'node:fs';

const doc = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
const schemas = doc.components.schemas;

function resolve(schema) {
  return schema.$ref ? resolve(schemas[schema.$ref.split('/').pop()]) : schema;
}

function compact(schema) {
  const s = resolve(schema);
  if (s.type === 'object') {
    const f = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) f[k] = compact(v);
    return { t: 'obj', f };
  }
  if (s.type === 'array') return { t: 'arr', i: compact(s.items) };
  if (s.type === 'integer') return s.minimum === undefined ? { t: 'int' } : { t: 'int', min: s.minimum };
  if (s.type === 'string') return s.pattern ? { t: 'str', p: s.pattern } : { t: 'str' };
  throw new Error(`no shape for ${JSON.stringify(s)}`);
}

/** The shape of the named schema of the document. */
export function shapeOf(name) {
  if (!schemas[name]) throw new Error(`apifox/openapi.json has no schema ${name}`);
  return compact(schemas[name]);
}

/** Every route of the document as `METHOD path`. */
export function routes() {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`),
  );
}
