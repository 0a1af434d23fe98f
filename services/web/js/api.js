// The only place that talks to crt-api: same-origin fetch with the session cookie, the CSRF
// header on unsafe methods, and problem+json turned into ApiError (status, slug, field, detail).
let csrf = null;
let onSessionEnd = null;

export function setCsrf(token) { csrf = token; }
export function onSessionEnded(fn) { onSessionEnd = fn; }

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.status = problem.status;
    this.slug = (problem.type || '').split(':').pop();
    this.field = problem.field || null;
    this.detail = problem.detail || '';
    this.retryAfter = problem.retryAfter || null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.purpose) headers['X-CRT-Purpose'] = opts.purpose;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ status: 0, type: 'urn:crt:problem:network', detail: '' });
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.ok) return data;
  const problem = Object.assign({ status: res.status }, data || {}, {
    status: res.status, retryAfter: res.headers.get('Retry-After'),
  });
  const err = new ApiError(problem);
  if (res.status === 401 && !opts.auth && onSessionEnd) onSessionEnd(err);
  throw err;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);

// A same-origin GET whose answer is a file (the DPO console's CSV export): the body as a Blob
// with the file name of Content-Disposition; problems as ApiError like api().
export async function getFile(path, accept) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: `${accept}, application/problem+json` }, credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
  } catch {
    throw new ApiError({ status: 0, type: 'urn:crt:problem:network', detail: '' });
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    const err = new ApiError(Object.assign({}, data || {}, { status: res.status }));
    if (res.status === 401 && onSessionEnd) onSessionEnd(err);
    throw err;
  }
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  return { blob: await res.blob(), name: m ? m[1] : 'download', capped: res.headers.get('X-CRT-Rows-Capped') };
}
