// Drives the official tus client (tus-js-client, unchanged) against a clipfed upload endpoint.
// Usage: node tus-upload.mjs <endpoint> <file> <token> <mode> [title]
//   mode "plain":    one upload in 2 MiB chunks
//   mode "resume":   abort after about 40 %, then resume the same upload URL with a new client object
//   mode "parallel": three partial uploads at once, joined by concatenation
// Prints one JSON line: {url, resumedFrom}.
import { readFileSync } from 'node:fs';
import * as tus from 'tus-js-client';

const [endpoint, path, token, mode, title = 'from tus-js-client'] = process.argv.slice(2);
const file = readFileSync(path);

function start(options) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: 'clip.mp4', title },
      chunkSize: 2 * 1024 * 1024,
      retryDelays: [],
      ...options,
      onError: reject,
      onSuccess: () => resolve(upload),
    });
    if (options.onUpload) options.onUpload(upload);
    upload.start();
  });
}

let result;
if (mode === 'plain') {
  const upload = await start({});
  result = { url: upload.url, resumedFrom: 0 };
} else if (mode === 'parallel') {
  const upload = await start({ parallelUploads: 3, chunkSize: Infinity });
  result = { url: upload.url, resumedFrom: 0 };
} else if (mode === 'resume') {
  let first;
  await new Promise((resolve) => {
    start({
      onUpload: (u) => { first = u; },
      onProgress: (sent, total) => {
        if (sent > total * 0.4 && !first._aborted) {
          first._aborted = true;
          first.abort().then(resolve);
        }
      },
    }).then(resolve, resolve);
  });
  let resumedFrom = -1;
  const again = await start({
    uploadUrl: first.url,
    onProgress: (sent) => { if (resumedFrom < 0) resumedFrom = sent; },
  });
  result = { url: again.url, firstUrl: first.url, resumedFrom };
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify(result));
