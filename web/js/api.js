// facegate's /v1 API as the pages call it: same-origin requests, Rekognition-style errors as ApiError.
// The demo pages hold no key: POST /v1/demo/session sets an HttpOnly cookie that the browser sends by
// itself. The console's admin key is typed in by the person and kept in sessionStorage only (gone when
// the tab closes), never in localStorage or a cookie.

export class ApiError extends Error {
  constructor(status, type, message, retryAfter = null) {
    super(message || type || `HTTP ${status}`);
    this.status = status; // 0: the server could not be reached
    this.type = type || '';
    this.retryAfter = retryAfter; // seconds, from Retry-After on a 429
  }
}

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// XMLHttpRequest rather than fetch: fetch cannot report upload progress, which a phone on a slow
// connection sending a photo needs to see.
export function request(method, path, { body = null, headers = {}, onUploadProgress = null } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onUploadProgress) {
      xhr.upload.addEventListener('progress', (e) => onUploadProgress(e.lengthComputable ? e.loaded / e.total : null));
      xhr.upload.addEventListener('load', () => onUploadProgress(1));
    }
    xhr.addEventListener('load', () => {
      const json = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(json ?? {});
        return;
      }
      const retry = Number.parseInt(xhr.getResponseHeader('Retry-After') || '', 10);
      reject(new ApiError(xhr.status, json?.__type, json?.message, Number.isFinite(retry) ? retry : null));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'NetworkError', 'network error')));
    xhr.addEventListener('timeout', () => reject(new ApiError(0, 'NetworkError', 'timeout')));
    xhr.timeout = 120000;
    xhr.send(body);
  });
}

// what to tell a person about a failed request (the server's own message stays in the console log)
export function describeError(error) {
  if (!(error instanceof ApiError)) return 'Something went wrong in this page. Reload it and try again.';
  if (error.status === 0) return 'We could not reach the server. Check your connection and try again.';
  if (error.status === 429) {
    const wait = error.retryAfter ? ` in ${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}` : ' in a moment';
    return `Too many attempts. Please try again${wait}.`;
  }
  if (error.status === 413 || error.type === 'ImageTooLargeException') return 'The photo is too large. Use a smaller one (under 5 MB).';
  if (error.type === 'InvalidImageFormatException') return 'That file is not a photo we can read. Use a JPEG or PNG picture.';
  if (error.status === 401) return 'Your session has expired. Reload the page and try again.';
  if (error.status === 403) return 'You are not allowed to do this.';
  if (error.status >= 500) return 'The server had a problem. Please try again in a moment.';
  return error.message || 'The request was refused.';
}

// ---- demo session (sign-up and sign-in pages) ----

let demoSessionPromise = null;
const DEMO_SESSION = 'facegate.demoSession';

// the session this tab already has (its cookie is HttpOnly: the page keeps only the collection and when
// it expires), while it has a few minutes left
function rememberedSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(DEMO_SESSION) || 'null');
    if (session && typeof session.expiresAt === 'number' && session.expiresAt - Date.now() > 5 * 60 * 1000) return session;
  } catch {
    // nothing usable remembered
  }
  return null;
}

// one session per tab, kept across the pages (the server limits how many an address may create a
// minute); a fresh one when it expired (it lasts an hour) or the server no longer knows it (401)
export function demoSession(renew = false) {
  if (!demoSessionPromise || renew) {
    const known = renew ? null : rememberedSession();
    demoSessionPromise = known ? Promise.resolve(known) : request('POST', '/v1/demo/session').then((session) => {
      const expiresIn = Number(session && session.expiresIn) || 0;
      sessionStorage.setItem(DEMO_SESSION, JSON.stringify({
        collectionId: demoCollection(session), expiresAt: Date.now() + expiresIn * 1000,
      }));
      return session;
    }, (e) => {
      demoSessionPromise = null;
      sessionStorage.removeItem(DEMO_SESSION);
      throw e;
    });
  }
  return demoSessionPromise;
}

function demoCollection(session) {
  return (session && typeof session.collectionId === 'string' && session.collectionId) || 'demo';
}

// POST a multipart form on the demo collection; renews the session once when it expired mid-flow
export async function demoPost(path, form, options = {}) {
  form.set('collectionId', demoCollection(await demoSession()));
  try {
    return await request('POST', path, { ...options, body: form });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    form.set('collectionId', demoCollection(await demoSession(true)));
    return request('POST', path, { ...options, body: form });
  }
}

// ---- admin console ----

const ADMIN_KEY = 'facegate.adminKey';

export const adminKey = {
  get: () => sessionStorage.getItem(ADMIN_KEY),
  set: (key) => sessionStorage.setItem(ADMIN_KEY, key),
  clear: () => sessionStorage.removeItem(ADMIN_KEY),
};

function adminHeaders() {
  const key = adminKey.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export function adminGet(path) {
  return request('GET', path, { headers: adminHeaders() });
}

export function adminDelete(path) {
  return request('DELETE', path, { headers: adminHeaders() });
}

// a query string from the fields that have a value
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

// ---- verification sessions (the hosted page /s/{id}, docs/sessions.md) ----
// The client secret arrives in the URL's fragment (never sent to a server), is moved to this tab's
// sessionStorage and removed from the address bar; it is sent only to the session's own capture endpoint.

const SESSION_ID = /^fgs_[0-9a-f]{32}$/;
// fgcs_<the session id's 32 hex digits>_<random base64url>
const CLIENT_SECRET = /^fgcs_([0-9a-f]{32})_[A-Za-z0-9_-]{16,}$/;
const sessionKey = (id) => `facegate.session.${id}`;
// the origin of the application whose page frames this one (the SDK's modal), once the server allowed it
const embedKey = (id) => `facegate.session.${id}.embedOrigin`;

export function rememberSessionSecret(id, secret) {
  const match = CLIENT_SECRET.exec(secret);
  if (SESSION_ID.test(id) && match && `fgs_${match[1]}` === id) sessionStorage.setItem(sessionKey(id), secret);
}

export function rememberEmbedOrigin(id, origin) {
  if (!SESSION_ID.test(id)) return;
  if (origin) sessionStorage.setItem(embedKey(id), origin);
  else sessionStorage.removeItem(embedKey(id));
}

// the session of a page opened as /signup?session=ID or /signin?session=ID, or null (the demo);
// `embedOrigin` is set when the page is in the SDK's modal
export function hostedSession(id = new URLSearchParams(window.location.search).get('session')) {
  if (!id || !SESSION_ID.test(id)) return null;
  const secret = sessionStorage.getItem(sessionKey(id));
  if (!secret) return null;
  const embedOrigin = sessionStorage.getItem(embedKey(id));
  return embedOrigin ? { id, secret, embedOrigin } : { id, secret };
}

// the session's state; in the SDK's modal the server checks the framing origin (400 when not allowed)
export function sessionState(session) {
  const embed = session.embedOrigin ? `?embedOrigin=${encodeURIComponent(session.embedOrigin)}` : '';
  return request('GET', `/v1/sessions/${session.id}/capture${embed}`, { headers: { Authorization: `Bearer ${session.secret}` } });
}

export function sessionCapture(session, form, options = {}) {
  return request('POST', `/v1/sessions/${session.id}/capture`, {
    ...options, headers: { Authorization: `Bearer ${session.secret}` }, body: form,
  });
}

// ---- admin console: writes (webhooks, replays) ----

// POST a JSON body (or none) with the console's admin key
export function adminPost(path, body = null) {
  const headers = { ...adminHeaders() };
  if (body !== null) headers['Content-Type'] = 'application/json';
  return request('POST', path, { headers, body: body === null ? null : JSON.stringify(body) });
}
