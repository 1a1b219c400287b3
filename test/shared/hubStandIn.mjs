// A local stand-in for the Hugging Face Hub: a real HTTP server on 127.0.0.1 serving
// checkpoint folders in the Hub's URL layout, for Node tests and browser tests (plain ESM, so the
// browser tests' Node runner imports it as it is; types in hubStandIn.d.mts; CORS headers sent).
//   GET /api/models/{owner}/{name}/revision/{rev}   {id, sha, siblings: [{rfilename, size,
//       blobId, lfs?: {sha256, size, pointerSize}}]}  (LFS: *.safetensors, *.bin)
//   GET /{owner}/{name}/resolve/{rev}/{path}       the bytes, with ETag (git blob id, or the
//       sha256 for LFS files), X-Linked-Etag and X-Linked-Size for LFS files
// Unknown repos, revisions and files answer 404 with X-Error-Code as the Hub does; a gated
// repo answers 401 (GatedRepo) unless the request carries its token. Faults can be set per
// file: 'corrupt' flips one byte, 'truncate' serves the first half (with a matching
// Content-Length, as a server that lost the rest would).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';

const isLfs = (p) => /\.(safetensors|bin|h5|msgpack|onnx)$/.test(p);
const bytesOf = (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const blobId = (b) => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');

/** @param {Record<string, import('./hubStandIn.d.mts').StandInRepo>} repos */
export async function startHubStandIn(repos) {
  /** @type {import('./hubStandIn.d.mts').HubStandIn} */
  const state = {
    endpoint: '',
    requests: [],
    authorizations: [],
    repos: new Map(Object.entries(repos)),
    faults: new Map(),
    close: async () => {},
  };
  const shaOf = (name, r) => r.sha ?? createHash('sha1').update(`commit:${name}`).digest('hex');
  const send = (res, status, body, headers = {}) => {
    const b = bytesOf(body);
    res.writeHead(status, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'ETag, X-Linked-Etag, X-Linked-Size, X-Error-Code, Content-Length',
      'Content-Length': String(b.byteLength),
      ...headers,
    });
    res.end(b);
  };
  const handle = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${req.method} ${url.pathname}`);
    state.authorizations.push(req.headers.authorization ?? '');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Authorization', 'Access-Control-Allow-Methods': 'GET' });
      res.end();
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const api = parts[0] === 'api' && parts[1] === 'models';
    const [owner, name] = api ? parts.slice(2, 4) : parts.slice(0, 2);
    const repoName = `${owner}/${name}`;
    const repo = state.repos.get(repoName);
    if (!repo) return send(res, 404, JSON.stringify({ error: 'Repository not found' }), { 'X-Error-Code': 'RepoNotFound', 'Content-Type': 'application/json' });
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return send(res, 401, JSON.stringify({ error: 'Access to this model is restricted' }), { 'X-Error-Code': 'GatedRepo', 'Content-Type': 'application/json' });
    }
    const sha = shaOf(repoName, repo);
    const revOk = (rev) => rev === 'main' || rev === sha || (repo.revisions ?? []).includes(rev);
    if (api) {
      // /api/models/{owner}/{name}/revision/{rev}
      const rev = parts[4] === 'revision' ? parts[5] : 'main';
      if (!revOk(rev)) return send(res, 404, JSON.stringify({ error: 'Invalid rev id' }), { 'X-Error-Code': 'RevisionNotFound' });
      const siblings = Object.entries(repo.files).map(([p, v]) => {
        const b = bytesOf(v);
        return isLfs(p)
          ? { rfilename: p, size: b.byteLength, blobId: blobId(new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\nsize ${b.byteLength}\n`)), lfs: { sha256: sha256(b), size: b.byteLength, pointerSize: 134 } }
          : { rfilename: p, size: b.byteLength, blobId: blobId(b) };
      });
      return send(res, 200, JSON.stringify({ id: repoName, modelId: repoName, sha, siblings }), { 'Content-Type': 'application/json' });
    }
    if (parts[2] !== 'resolve') return send(res, 404, 'not found');
    const rev = parts[3];
    const file = parts.slice(4).join('/');
    if (!revOk(rev)) return send(res, 404, 'Invalid rev id', { 'X-Error-Code': 'RevisionNotFound' });
    const v = repo.files[file];
    if (v === undefined) return send(res, 404, 'Entry not found', { 'X-Error-Code': 'EntryNotFound' });
    let b = bytesOf(v);
    const lfs = isLfs(file);
    const headers = lfs
      ? { ETag: `"${sha256(b)}"`, 'X-Linked-Etag': `"${sha256(b)}"`, 'X-Linked-Size': String(b.byteLength) }
      : { ETag: `"${blobId(b)}"` };
    const fault = state.faults.get(`${repoName}/${file}`);
    if (fault === 'corrupt') {
      b = b.slice();
      b[Math.floor(b.length / 2)] ^= 0x01;
    } else if (fault === 'truncate') {
      b = b.slice(0, Math.floor(b.length / 2));
    }
    return send(res, 200, b, headers);
  };
  const server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  state.endpoint = `http://127.0.0.1:${port}`;
  state.close = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  return state;
}

/** Every file under dir, by '/'-separated relative path (JSON and text as strings). */
export function readTree(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(dir, p).split('\\').join('/');
        const buf = readFileSync(p);
        out[rel] = /\.(json|txt)$/.test(name) ? buf.toString('utf8') : new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      }
    }
  };
  walk(dir);
  return out;
}
