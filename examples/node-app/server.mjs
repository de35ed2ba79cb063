// An application that signs people up with their ID document and signs them in with a selfie, through
// facegate's verification sessions (docs/sessions.md). Node's own `http` module and `jose`, nothing else.
//
//   FACEGATE_URL=http://127.0.0.1:8080 FACEGATE_API_KEY=fgk_... PORT=3000 node server.mjs
//   (or, from the project root, scripts/run-example.sh: facegate, a key, the collection and this app)
//
// What it shows:
//  - the backend creates the session with its `flows` key (the key never reaches the browser);
//  - the page opens facegate's SDK modal with the session's client secret, or sends the person to the
//    hosted page, which comes back to /return with the signed result;
//  - the backend trusts only the signed result it verified itself: ES256 against facegate's JWKS, `iss`,
//    `aud` (its own key id), `exp`, and `sid`/`sub`/`action` = the session it created for this browser.
import crypto from 'node:crypto';
import http from 'node:http';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

const FACEGATE_URL = new URL(process.env.FACEGATE_URL || 'http://127.0.0.1:8080').origin;
const API_KEY = process.env.FACEGATE_API_KEY || '';
const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
// this app as browsers reach it: the hosted page comes back to APP_URL/return (an --allowed-return-origin)
const APP_URL = new URL(process.env.APP_URL || `http://${HOST}:${PORT}`).origin;
// the tokens' iss: facegate's --session-issuer, else its --public-url, else the URL the session was created at
const ISSUER = process.env.FACEGATE_ISSUER || FACEGATE_URL;
const COLLECTION = process.env.FACEGATE_COLLECTION || 'example';

// fgk_<12 of a-z 2-7>_<secret>: the part before the second '_' is the key's id, the tokens' `aud`
const KEY_ID = /^fgk_[a-z2-7]{12}_/.test(API_KEY) ? API_KEY.slice(0, 16) : '';
if (!KEY_ID) {
  console.error('FACEGATE_API_KEY must be a facegate flows key (fgk_...): facegate keys create --kind api --scope flows');
  process.exit(2);
}

// facegate publishes its keys at /.well-known/jwks.json (Cache-Control: max-age=60). jose refetches on an
// unknown kid (a rotated key), at most every cooldownDuration: 5 s rather than its 30 s default, so a sign-in
// right after `facegate keys rotate-signing-key` is not refused for long
const JWKS = createRemoteJWKSet(new URL('/.well-known/jwks.json', FACEGATE_URL), {
  cacheMaxAge: 60_000, cooldownDuration: 5_000,
});

// ---- what this app remembers (in memory: a real app has its own database) ----

const BROWSER_COOKIE = 'example_browser';
const PENDING_TTL_MS = 60 * 60 * 1000;
const pending = new Map(); // sessionId -> { browser, action, email, created }: the sessions this app created
const users = new Map(); // email -> { signedUpAt }: those whose document facegate accepted

function forget() {
  const now = Date.now();
  for (const [id, p] of pending) if (now - p.created > PENDING_TTL_MS) pending.delete(id);
}

// ---- facegate's API, server to server ----

async function createSession(action, email, returnUrl) {
  const body = { action: action === 'register' ? 'register' : 'verify', collectionId: COLLECTION, externalId: email };
  if (returnUrl) body.returnUrl = returnUrl;
  const response = await fetch(`${FACEGATE_URL}/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(`facegate refused the session: ${response.status} ${json.__type || ''} ${json.message || ''}`.trim());
    error.status = response.status;
    error.type = json.__type;
    throw error;
  }
  return json; // {sessionId, clientSecret, url, status, expiresAt}
}

// The one place where this app decides: the token's signature, issuer, audience and expiry (jose), then that
// it is about a session this browser started, for this person and this action. Single use.
async function verifyResult(token, expectedSessionId, browser) {
  if (typeof token !== 'string' || !token) throw new Error('no result token');
  const { payload, protectedHeader } = await jwtVerify(token, JWKS, {
    algorithms: ['ES256'], issuer: ISSUER, audience: KEY_ID, requiredClaims: ['exp', 'iat', 'sid', 'sub'],
    clockTolerance: 30,
  });
  const expected = pending.get(payload.sid);
  if (!expected || expected.browser !== browser) throw new Error('this result is not for a session this browser started');
  if (expectedSessionId && payload.sid !== expectedSessionId) throw new Error('the result is for another session');
  if (payload.sub !== expected.email) throw new Error('the result is for another person');
  if (payload.action !== expected.action || payload.collectionId !== COLLECTION) throw new Error('the result is for another action');
  pending.delete(payload.sid);
  const accepted = payload.decision === 'accepted';
  if (accepted && payload.action === 'register') users.set(payload.sub, { signedUpAt: new Date().toISOString() });
  return {
    verified: true, accepted, decision: payload.decision, outcome: payload.outcome, sub: payload.sub,
    action: payload.action, sessionId: payload.sid, kid: protectedHeader.kid,
    expiresAt: new Date(payload.exp * 1000).toISOString(),
  };
}

function describeFailure(error) {
  if (error instanceof joseErrors.JOSEError) return `the signed result did not verify (${error.code})`;
  return error.message;
}

// ---- HTTP ----

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

// a random id per browser, so that a result is accepted only in the browser that started its session
function browserOf(req, res) {
  const known = cookies(req)[BROWSER_COOKIE];
  if (known && /^[A-Za-z0-9_-]{22}$/.test(known)) return known;
  const id = crypto.randomBytes(16).toString('base64url');
  // Lax: the hosted page's way back to /return is a top-level navigation from facegate's site
  res.setHeader('Set-Cookie', `${BROWSER_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
  return id;
}

const SECURITY_HEADERS = {
  // the SDK is a script from facegate's origin; its modal is a frame on facegate's origin; its styles are a
  // constructed style sheet (no inline style needed). form-action: the hosted page's start is a redirect there
  'Content-Security-Policy': `default-src 'self'; script-src 'self' ${FACEGATE_URL}; frame-src ${FACEGATE_URL}; `
    + `style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self' ${FACEGATE_URL}; `
    + "frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

const sendJson = (res, status, value) => send(res, status, 'application/json', JSON.stringify(value));

async function readBody(req, limit = 16 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

function page(title, main) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Example app</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/style.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<header><a href="/" class="brand">Example app</a> <span class="muted">signs people in with facegate</span></header>
<main>
${main}
</main>
</body>
</html>
`;
}

function flowForm(action, heading, text, button) {
  return `<section class="card" aria-labelledby="${action}-heading">
  <h2 id="${action}-heading">${heading}</h2>
  <p>${text}</p>
  <form method="post" action="/start" data-flow="${action}">
    <input type="hidden" name="action" value="${action}">
    <label for="${action}-email">E-mail</label>
    <input id="${action}-email" name="email" type="email" autocomplete="email" required>
    <div class="buttons">
      <button type="submit" name="mode" value="modal">${button}</button>
      <button type="submit" name="mode" value="hosted" class="secondary">Use the hosted page instead</button>
    </div>
  </form>
</section>`;
}

function homePage() {
  return page('Home', `<h1>Welcome</h1>
<p>This example app has no passwords: you sign up with a photo of your ID document and sign in with a selfie.
facegate (at <code>${escapeHtml(FACEGATE_URL)}</code>) takes the photo; this app only checks the signed result.</p>
<div class="grid">
${flowForm('register', 'Sign up', 'Upload a photo of your passport or ID card.', 'Sign up')}
${flowForm('verify', 'Sign in', 'Take a selfie with your camera.', 'Sign in')}
</div>
<section id="result" class="card" aria-live="polite" hidden></section>`);
}

function resultSection(r) {
  if (!r.verified) {
    return `<section id="result" class="card bad" data-verified="false" aria-live="polite">
  <h2>Not verified</h2><p>${escapeHtml(r.error)}</p></section>`;
  }
  const title = r.accepted ? (r.action === 'register' ? 'You are signed up' : 'You are signed in') : 'facegate did not accept this';
  return `<section id="result" class="card ${r.accepted ? 'ok' : 'bad'}" data-verified="true" data-decision="${escapeHtml(r.decision)}"
  data-sub="${escapeHtml(r.sub)}" data-action="${escapeHtml(r.action)}" aria-live="polite">
  <h2>${escapeHtml(title)}</h2>
  <dl>
    <dt>decision</dt><dd data-field="decision">${escapeHtml(r.decision)}</dd>
    <dt>outcome</dt><dd data-field="outcome">${escapeHtml(r.outcome)}</dd>
    <dt>sub</dt><dd data-field="sub">${escapeHtml(r.sub)}</dd>
    <dt>action</dt><dd data-field="action">${escapeHtml(r.action)}</dd>
    <dt>session</dt><dd data-field="sid"><code>${escapeHtml(r.sessionId)}</code></dd>
    <dt>signed with</dt><dd data-field="kid"><code>${escapeHtml(r.kid)}</code></dd>
  </dl>
  <p class="muted">Verified by this app's backend: ES256 signature against facegate's JWKS, iss, aud, exp, sid, sub.</p>
</section>`;
}

// the page's script: the SDK is imported from facegate itself, as any integrator would
function appScript() {
  return `// the example app's page (examples/node-app): facegate's SDK opens the session in a modal
import facegate from '${FACEGATE_URL}/sdk/facegate.js';

// the result section (replaced by the backend's verified one at the end)
function show(html, state) {
  const result = document.querySelector('#result');
  result.className = 'card';
  result.innerHTML = html;
  result.hidden = false;
  result.dataset.state = state;
  return result;
}

async function postJson(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error || 'HTTP ' + response.status);
  return json;
}

for (const form of document.querySelectorAll('form[data-flow]')) {
  form.addEventListener('submit', async (event) => {
    // "Use the hosted page instead": the form goes to /start, which redirects to facegate
    if (!event.submitter || event.submitter.value !== 'modal') return;
    event.preventDefault();
    const email = form.elements.email.value.trim();
    document.querySelector('#result').hidden = true;
    let session;
    try {
      // the backend creates the session with its API key and hands this page the client secret only
      session = await postJson('/api/sessions', { action: form.dataset.flow, email });
    } catch (error) {
      show('<h2>Could not start</h2><p></p>', 'error').querySelector('p').textContent = error.message;
      return;
    }
    let end;
    try {
      end = await facegate.open({ clientSecret: session.clientSecret });
    } catch (error) {
      show('<h2>Verification closed</h2><p>You closed the verification before the end. You can start again.</p>', error.code || 'error');
      return;
    }
    if (end.status !== 'completed') {
      show('<h2>Verification not completed</h2><p></p>', end.status).querySelector('p').textContent =
        'The session is ' + end.status + '. Start again.';
      return;
    }
    // the token is checked by the backend, never here
    const response = await fetch('/api/result', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sessionId: end.sessionId, resultToken: end.resultToken }),
    });
    const verified = await response.text();
    const template = document.createElement('template');
    template.innerHTML = verified;
    document.querySelector('#result').replaceWith(template.content.firstElementChild);
  });
}
`;
}

const STYLE = `
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1f2937; background: #f8fafc; }
header { padding: 12px 24px; background: #0f766e; color: #fff; }
header a { color: #fff; font-weight: 700; text-decoration: none; margin-right: 8px; }
header .muted { color: #ccfbf1; }
main { max-width: 960px; margin: 0 auto; padding: 24px; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 12px; padding: 20px; margin-bottom: 16px; }
.card.ok { border-color: #16a34a; background: #f0fdf4; }
.card.bad { border-color: #dc2626; background: #fef2f2; }
label { display: block; font-weight: 600; margin-bottom: 4px; }
input[type=email] { width: 100%; padding: 10px; border: 1px solid #94a3b8; border-radius: 8px; font: inherit; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
button { font: inherit; padding: 10px 16px; border-radius: 8px; border: 1px solid #0f766e; background: #0f766e; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0f766e; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.muted { color: #64748b; }
code { font-family: ui-monospace, monospace; }
`;

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f766e"/>'
  + '<path d="M9 17l5 5 9-11" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>';

function sameOrigin(req) {
  // a state-changing request from another site (no CORS here, but a form could still post) is refused
  const origin = req.headers.origin;
  return !origin || origin === APP_URL;
}

async function handle(req, res) {
  const url = new URL(req.url, APP_URL);
  forget();
  if (req.method === 'GET' && url.pathname === '/') {
    browserOf(req, res);
    return send(res, 200, 'text/html; charset=utf-8', homePage());
  }
  if (req.method === 'GET' && url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', appScript());
  if (req.method === 'GET' && url.pathname === '/style.css') return send(res, 200, 'text/css; charset=utf-8', STYLE);
  if (req.method === 'GET' && url.pathname === '/favicon.svg') return send(res, 200, 'image/svg+xml', ICON);
  if (req.method === 'GET' && url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');

  // the SDK's way: a session for this browser, its client secret to the page
  if (req.method === 'POST' && url.pathname === '/api/sessions') {
    if (!sameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin request' });
    const browser = browserOf(req, res);
    const body = JSON.parse(await readBody(req) || '{}');
    const email = String(body.email || '').trim();
    if (!EMAIL.test(email)) return sendJson(res, 400, { error: 'Enter your e-mail address.' });
    const action = body.action === 'register' ? 'register' : 'verify';
    const session = await createSession(action, email);
    pending.set(session.sessionId, { browser, action, email, created: Date.now() });
    return sendJson(res, 200, { sessionId: session.sessionId, clientSecret: session.clientSecret });
  }

  // the SDK's result: verified here, rendered as the result section
  if (req.method === 'POST' && url.pathname === '/api/result') {
    if (!sameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin request' });
    const browser = browserOf(req, res);
    const body = JSON.parse(await readBody(req) || '{}');
    let r;
    try {
      r = await verifyResult(body.resultToken, body.sessionId, browser);
    } catch (error) {
      r = { verified: false, error: describeFailure(error) };
    }
    console.log(`example-app: ${r.verified ? `${r.action} ${r.decision} for ${r.sub}` : `refused a result: ${r.error}`}`);
    return send(res, r.verified ? 200 : 400, 'text/html; charset=utf-8', resultSection(r));
  }

  // the hosted page's way: a session with a returnUrl, and a redirect to facegate
  if (req.method === 'POST' && url.pathname === '/start') {
    if (!sameOrigin(req)) return send(res, 403, 'text/plain', 'cross-origin request\n');
    const browser = browserOf(req, res);
    const form = new URLSearchParams(await readBody(req));
    const email = (form.get('email') || '').trim();
    if (!EMAIL.test(email)) return send(res, 400, 'text/html; charset=utf-8', page('Error', '<p>Enter your e-mail address. <a href="/">Back</a></p>'));
    const action = form.get('action') === 'register' ? 'register' : 'verify';
    const session = await createSession(action, email, `${APP_URL}/return`);
    pending.set(session.sessionId, { browser, action, email, created: Date.now() });
    // the client secret is in the url's fragment: it never reaches a server log
    res.writeHead(303, { Location: session.url, 'Cache-Control': 'no-store' });
    return res.end();
  }

  // ...and back: /return?facegate_session=<id>&result=<signed token>
  if (req.method === 'GET' && url.pathname === '/return') {
    const browser = browserOf(req, res);
    let r;
    try {
      r = await verifyResult(url.searchParams.get('result'), url.searchParams.get('facegate_session'), browser);
    } catch (error) {
      r = { verified: false, error: describeFailure(error) };
    }
    console.log(`example-app: ${r.verified ? `${r.action} ${r.decision} for ${r.sub} (hosted page)` : `refused a result: ${r.error}`}`);
    return send(res, r.verified ? 200 : 400, 'text/html; charset=utf-8',
      page('Result', `<h1>Back from facegate</h1>\n${resultSection(r)}\n<p><a href="/">Home</a></p>`));
  }
  return send(res, 404, 'text/plain', 'not found\n');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`example-app: ${req.method} ${req.url}: ${error.message}`);
    if (res.headersSent) return res.end();
    const status = error.status === 413 ? 413 : error instanceof SyntaxError ? 400 : 502;
    return sendJson(res, status, { error: status === 502 ? 'facegate could not start the verification. Try again.' : error.message });
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  console.log(`example-app: listening on http://${HOST}:${port} (facegate ${FACEGATE_URL}, key ${KEY_ID}, collection ${COLLECTION})`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
