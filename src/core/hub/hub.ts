// Checkpoint folders from the Hugging Face Hub, by name (`owner/name[@revision]`).
//
// 1. List `{endpoint}/api/models/{repo}/revision/{revision}?blobs=true`: the commit sha and
//    every file with its size, git blob id and, for LFS files, the sha256 and size.
// 2. Download `{endpoint}/{repo}/resolve/{sha}/{file}` (the listed commit, so every file comes
//    from one revision) for the files a checkpoint folder needs (st.ts's foldersFilesWanted):
//    the small JSON/text files first, checked (architecture, tokenizer, pickle-only weights)
//    before the weights are fetched.
// 3. Check every file: its size, and its sha256 (LFS: the API's lfs.sha256, else the
//    x-linked-etag / ETag header when it is a sha256) or its git blob sha1 (the API's blobId).
//    A mismatch or a short body is a HubIntegrityError; nothing is handed back or cached.
// 4. Cache: the verified folder is put in the given HubCache under (endpoint, repo, revision)
//    and (endpoint, repo, sha); a later import of the same revision makes no request.
//    (A branch name is cached as it resolved the first time; `refresh` asks again.)
//
// Pure: the network is an injected `fetch` (Node's and the browser's both fit), hashing is
// Web Crypto (globalThis.crypto.subtle). The access token, when given, goes only into the
// Authorization header of requests to the endpoint and is never stored.

import {
  CancelledError,
  DistillLabError,
  HubAccessError,
  HubIntegrityError,
  HubNetworkError,
  HubNotFoundError,
  HubRequestError,
} from '../errors';
import { folderFilesWanted, precheckModelFolder, type ModelFolder } from '../model/st';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The part of the Fetch API used here (global fetch in Node 18+ and browsers). */
export type FetchLike = (url: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

export interface HubRef {
  /** 'owner/name' */
  repo: string;
  /** Branch, tag or commit; default 'main'. */
  revision: string;
}

/** 'owner/name', 'owner/name@rev' or 'hf:owner/name@rev' -> {repo, revision}. */
export function parseHubRef(spec: string): HubRef {
  const s = spec.trim().replace(/^hf:/, '').replace(/^https?:\/\/[^/]+\//, '');
  const at = s.indexOf('@');
  const repo = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : 'main';
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(repo) || repo.includes('..') || revision === '' || /[\s]|\.\./.test(revision)) {
    throw new HubRequestError(`"${spec}" is not a Hub model name: use owner/name or owner/name@revision (e.g. sentence-transformers/all-MiniLM-L6-v2)`, {
      repo: spec,
    });
  }
  return { repo, revision };
}

/** One file of a repository listing. */
export interface HubFile {
  path: string;
  /** Bytes of the file (the LFS object's size for LFS files), when the listing gives it. */
  size?: number;
  /** LFS files: the sha256 of the content (hex). */
  sha256?: string;
  /** Non-LFS files: the git blob sha1 (hex). */
  blobId?: string;
}

export interface HubListing {
  repo: string;
  revision: string;
  /** The commit the revision resolved to. */
  sha: string;
  files: HubFile[];
}

/** A verified folder from the Hub (or the cache). */
export interface HubFolder {
  repo: string;
  revision: string;
  sha: string;
  endpoint: string;
  files: ModelFolder;
  /** The downloaded files with their sizes, in download order. */
  listing: HubFile[];
  /** True when it came from the cache without any request. */
  fromCache: boolean;
}

/** Where verified folders are kept (Node: a cache folder; browser: IndexedDB). */
export interface HubCache {
  get(key: string): Promise<{ sha: string; files: ModelFolder; listing: HubFile[] } | null>;
  /** Stores the whole folder or nothing. */
  put(key: string, value: { sha: string; files: ModelFolder; listing: HubFile[] }): Promise<void>;
  /** Makes `alias` (a branch or tag) answer as `target` (a commit) does, without a second copy; else put is called twice. */
  link?(alias: string, target: string): Promise<void>;
}

export function hubCacheKey(endpoint: string, repo: string, revision: string): string {
  return `${endpoint.replace(/\/+$/, '')}|${repo}|${revision}`;
}

export interface HubProgress {
  file: string;
  loaded: number;
  /** Expected bytes, when known. */
  total?: number;
}

export interface HubOptions {
  fetch: FetchLike;
  /** Default https://huggingface.co (the CLI reads HF_ENDPOINT). */
  endpoint?: string;
  /** An access token (hf_...), sent as `Authorization: Bearer` only when given. */
  token?: string;
  cache?: HubCache;
  /** Ask the Hub again even if the cache has this revision. */
  refresh?: boolean;
  signal?: AbortSignal;
  /** The files about to be downloaded (after the listing). */
  onListing?: (files: HubFile[]) => void;
  onProgress?: (p: HubProgress) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Git's blob id: sha1("blob <size>\0" + content). */
export async function gitBlobSha1(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.byteLength}\0`);
  const all = new Uint8Array(head.length + bytes.byteLength);
  all.set(head);
  all.set(bytes, head.length);
  return hex(await globalThis.crypto.subtle.digest('SHA-1', all));
}

/** The file's repo path, each segment URL-encoded. */
function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

interface Ctx {
  opts: HubOptions;
  endpoint: string;
  repo: string;
  revision: string;
}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return (signal?.aborted ?? false) || (e instanceof Error && e.name === 'AbortError');
}

/** One GET to the endpoint, with the errors named. `file` is null for the listing. */
async function get(ctx: Ctx, url: string, file: string | null): Promise<Response> {
  const headers: Record<string, string> = {};
  if (ctx.opts.token) headers.Authorization = `Bearer ${ctx.opts.token}`;
  const what = file ? `${file} of ${ctx.repo}@${ctx.revision}` : `the file list of ${ctx.repo}@${ctx.revision}`;
  let res: Response;
  try {
    res = await ctx.opts.fetch(url, { headers, signal: ctx.opts.signal });
  } catch (e) {
    if (isAbort(e, ctx.opts.signal)) throw new CancelledError(`download of ${ctx.repo} cancelled`, { repo: ctx.repo, file });
    throw new HubNetworkError(
      `could not reach ${ctx.endpoint} for ${what} (${e instanceof Error ? e.message : String(e)}): the machine may be offline, the endpoint wrong, ` +
        'or (in a browser) the endpoint does not allow cross-origin requests (CORS). Check the connection and the endpoint setting, or import the folder from disk.',
      { repo: ctx.repo, file, endpoint: ctx.endpoint, url },
    );
  }
  if (res.ok) return res;
  const code = res.headers.get('x-error-code') ?? '';
  const details = { repo: ctx.repo, revision: ctx.revision, file, endpoint: ctx.endpoint, status: res.status, url };
  void res.body?.cancel().catch(() => undefined);
  if (code === 'GatedRepo' || ((res.status === 401 || res.status === 403) && code !== 'RepoNotFound')) {
    throw new HubAccessError(
      `${ctx.endpoint} refused ${what} (HTTP ${res.status}${code ? `, ${code}` : ''}): the repository is gated or private` +
        (code === '' && !ctx.opts.token ? ' (or does not exist: without a token the Hub answers 401 for both; check the name)' : '') +
        '. ' +
        (ctx.opts.token
          ? 'The token given has no access: check it has read access, and accept the model\'s conditions on its Hub page.'
          : 'Give an access token (hf_..., from your Hub settings) with read access, after accepting the model\'s conditions on its page.'),
      details,
    );
  }
  if (res.status === 404 || code === 'RepoNotFound' || code === 'RevisionNotFound' || code === 'EntryNotFound') {
    const msg = code === 'RevisionNotFound'
      ? `revision "${ctx.revision}" of ${ctx.repo} was not found on ${ctx.endpoint}: check the branch, tag or commit`
      : code === 'EntryNotFound' || (file && code !== 'RepoNotFound')
        ? `${file} was not found in ${ctx.repo}@${ctx.revision} on ${ctx.endpoint}, although the file list names it: try again, or import the folder from disk`
        : `${ctx.repo} was not found on ${ctx.endpoint} (HTTP ${res.status}): check the name (owner/name); a private repository needs an access token`;
    throw new HubNotFoundError(msg, details);
  }
  throw new HubRequestError(
    `${ctx.endpoint} answered HTTP ${res.status} for ${what}` +
      (res.status === 429 ? ': too many requests, wait a minute and try again' : res.status >= 500 ? ': a server error, try again later' : ''),
    details,
  );
}

/** Lists a revision: its commit sha and every file with size and checksums. */
export async function listHubRepo(ref: HubRef, opts: HubOptions): Promise<HubListing> {
  const endpoint = (opts.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  const ctx: Ctx = { opts, endpoint, repo: ref.repo, revision: ref.revision };
  const url = `${endpoint}/api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}?blobs=true`;
  const res = await get(ctx, url, null);
  let body: { sha?: unknown; siblings?: unknown };
  try {
    body = (await res.json()) as typeof body;
  } catch (e) {
    throw new HubRequestError(`the file list of ${ref.repo}@${ref.revision} from ${endpoint} is not JSON (${e instanceof Error ? e.message : String(e)})`, {
      repo: ref.repo, endpoint,
    });
  }
  if (!Array.isArray(body.siblings)) {
    throw new HubRequestError(`the file list of ${ref.repo}@${ref.revision} from ${endpoint} has no "siblings"`, { repo: ref.repo, endpoint });
  }
  const files: HubFile[] = [];
  for (const s of body.siblings as Record<string, unknown>[]) {
    if (typeof s?.rfilename !== 'string') continue;
    const f: HubFile = { path: s.rfilename };
    const lfs = s.lfs as Record<string, unknown> | undefined;
    if (lfs && typeof lfs.sha256 === 'string') f.sha256 = lfs.sha256.toLowerCase();
    const size = lfs && typeof lfs.size === 'number' ? lfs.size : s.size;
    if (typeof size === 'number') f.size = size;
    if (!lfs && typeof s.blobId === 'string') f.blobId = s.blobId.toLowerCase();
    files.push(f);
  }
  const sha = typeof body.sha === 'string' && HEX40.test(body.sha) ? body.sha : ref.revision;
  return { repo: ref.repo, revision: ref.revision, sha, files };
}

/** Reads a response body, reporting progress; throws CancelledError when aborted. */
async function readBody(ctx: Ctx, res: Response, file: string, total: number | undefined): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let last = 0;
  ctx.opts.onProgress?.({ file, loaded: 0, total });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      if (total !== undefined && loaded > total) break; // longer than stated: refused below
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        ctx.opts.onProgress?.({ file, loaded, total });
      }
    }
  } catch (e) {
    if (isAbort(e, ctx.opts.signal)) throw new CancelledError(`download of ${ctx.repo} cancelled`, { repo: ctx.repo, file });
    throw new HubNetworkError(`the download of ${file} from ${ctx.repo}@${ctx.revision} broke off after ${loaded} bytes (${e instanceof Error ? e.message : String(e)}): try again`, {
      repo: ctx.repo, file, loaded, total,
    });
  } finally {
    reader.releaseLock?.();
  }
  const out = new Uint8Array(loaded);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  ctx.opts.onProgress?.({ file, loaded, total });
  return out;
}

/** Strips quotes and a weak-validator prefix from an ETag-like header. */
function etagValue(v: string | null): string | null {
  if (!v) return null;
  return v.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
}

/** Downloads and verifies one file. */
async function downloadFile(ctx: Ctx, sha: string, f: HubFile): Promise<Uint8Array> {
  const url = `${ctx.endpoint}/${ctx.repo}/resolve/${encodeURIComponent(sha)}/${encodePath(f.path)}`;
  const res = await get(ctx, url, f.path);
  // What the Hub states about the file: the listing first, then the headers.
  const linked = etagValue(res.headers.get('x-linked-etag'));
  const etag = etagValue(res.headers.get('etag'));
  const sha256 = f.sha256 ?? (linked && HEX64.test(linked) ? linked : etag && HEX64.test(etag) ? etag : undefined);
  const blobId = f.sha256 ? undefined : f.blobId ?? (!sha256 && etag && HEX40.test(etag) ? etag : undefined);
  const headerSize = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length') ?? NaN);
  const size = f.size ?? (Number.isFinite(headerSize) ? headerSize : undefined);
  const bytes = await readBody(ctx, res, f.path, size);
  const details = { repo: ctx.repo, revision: ctx.revision, sha, file: f.path };
  if (size !== undefined && bytes.byteLength !== size) {
    throw new HubIntegrityError(
      `${f.path} from ${ctx.repo}@${ctx.revision} is ${bytes.byteLength} bytes but the Hub states ${size}` +
        `${bytes.byteLength < size ? ' (truncated download)' : ''}: refused, nothing was stored. Try again.`,
      { ...details, got: bytes.byteLength, expected: size },
    );
  }
  if (sha256) {
    const got = await sha256Hex(bytes);
    if (got !== sha256) {
      throw new HubIntegrityError(`${f.path} from ${ctx.repo}@${ctx.revision} has sha256 ${got}, but the Hub states ${sha256}: refused (corrupted download), nothing was stored. Try again.`, {
        ...details, got, expected: sha256,
      });
    }
  } else if (blobId) {
    const got = await gitBlobSha1(bytes);
    if (got !== blobId) {
      throw new HubIntegrityError(`${f.path} from ${ctx.repo}@${ctx.revision} has git blob id ${got}, but the Hub states ${blobId}: refused (corrupted download), nothing was stored. Try again.`, {
        ...details, got, expected: blobId,
      });
    }
  }
  return bytes;
}

const td = new TextDecoder('utf-8');

/**
 * Downloads (or takes from the cache) the checkpoint folder of `owner/name[@revision]`,
 * verified file by file. Throws the Hub's named errors (HubNotFoundError, HubAccessError,
 * HubNetworkError, HubIntegrityError, HubRequestError), UnsupportedModelError (architecture,
 * tokenizer or pickle-only weights, before the weights are fetched) or CancelledError.
 */
export async function downloadHubFolder(spec: string | HubRef, opts: HubOptions): Promise<HubFolder> {
  const ref = typeof spec === 'string' ? parseHubRef(spec) : spec;
  const endpoint = (opts.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  const key = hubCacheKey(endpoint, ref.repo, ref.revision);
  if (opts.cache && !opts.refresh) {
    const hit = await opts.cache.get(key);
    if (hit) return { repo: ref.repo, revision: ref.revision, sha: hit.sha, endpoint, files: hit.files, listing: hit.listing, fromCache: true };
  }
  const listing = await listHubRepo(ref, { ...opts, endpoint });
  if (opts.cache && !opts.refresh && listing.sha !== ref.revision) {
    // The same commit under another name (a branch resolved before, or the sha itself).
    const hit = await opts.cache.get(hubCacheKey(endpoint, ref.repo, listing.sha));
    if (hit) {
      if (opts.cache.link) await opts.cache.link(key, hubCacheKey(endpoint, ref.repo, listing.sha));
      else await opts.cache.put(key, hit);
      return { repo: ref.repo, revision: ref.revision, sha: hit.sha, endpoint, files: hit.files, listing: hit.listing, fromCache: true };
    }
  }
  const ctx: Ctx = { opts, endpoint, repo: ref.repo, revision: ref.revision };
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const paths = listing.files.map((f) => f.path);
  const files: ModelFolder = {};
  const fetched: HubFile[] = [];
  const fetchOne = async (p: string) => {
    const f = byPath.get(p)!;
    files[p] = await downloadFile(ctx, listing.sha, f);
    fetched.push(f);
  };
  try {
    // modules.json decides where the Transformer's files live.
    if (byPath.has('modules.json')) await fetchOne('modules.json');
    const modulesJson = files['modules.json'] ? td.decode(files['modules.json'] as Uint8Array) : undefined;
    const wanted = folderFilesWanted(paths, modulesJson, ref.repo).filter((p) => p !== 'modules.json');
    opts.onListing?.(wanted.map((p) => byPath.get(p)!).concat(files['modules.json'] ? [byPath.get('modules.json')!] : []));
    // modules.json came before the listing was announced: report it complete.
    for (const f of fetched) opts.onProgress?.({ file: f.path, loaded: byteLength(files[f.path]), total: f.size });
    // Small files first: a folder the lab cannot read is refused before its weights are fetched.
    const isWeights = (p: string) => p.endsWith('.safetensors');
    for (const p of wanted.filter((x) => !isWeights(x))) await fetchOne(p);
    precheckModelFolder(textFiles(files));
    for (const p of wanted.filter(isWeights)) await fetchOne(p);
  } catch (e) {
    if (e instanceof DistillLabError && e.details && e.details.repo === undefined) Object.assign(e.details, { repo: ref.repo });
    throw e;
  }
  const value = { sha: listing.sha, files, listing: fetched };
  if (opts.cache) {
    const shaKey = hubCacheKey(endpoint, ref.repo, listing.sha);
    await opts.cache.put(shaKey, value);
    if (listing.sha !== ref.revision) {
      if (opts.cache.link) await opts.cache.link(key, shaKey);
      else await opts.cache.put(key, value);
    }
  }
  return { repo: ref.repo, revision: ref.revision, sha: listing.sha, endpoint, files, listing: fetched, fromCache: false };
}

function byteLength(v: ModelFolder[string] | undefined): number {
  return v === undefined ? 0 : typeof v === 'string' ? new TextEncoder().encode(v).byteLength : v.byteLength;
}

/** JSON and text files decoded (what the precheck reads). */
function textFiles(files: ModelFolder): ModelFolder {
  const out: ModelFolder = {};
  for (const [p, v] of Object.entries(files)) if (/\.(json|txt)$/.test(p)) out[p] = typeof v === 'string' ? v : td.decode(v);
  return out;
}
