// facegate's drop-in SDK (docs/sessions.md): a verification session's capture in a modal on the
// application's own page. A plain ES module, no build step, no dependency, served by facegate itself:
//
//   import facegate from 'https://facegate.example.com/sdk/facegate.js';
//   const { sessionId, status, outcome, resultToken } = await facegate.open({ clientSecret });
//
// The modal holds an iframe of the hosted page (/s/<sessionId>) on facegate's origin, the origin this file
// was loaded from. The page posts the session's end to this page's origin only (which the server must allow
// with --allowed-return-origin), and this module accepts a message only from that iframe on that origin.
// The result token it hands over is what the application's BACKEND verifies (its signature against
// /.well-known/jwks.json, iss, aud, sid, sub, exp): nothing in this page's JavaScript is to be trusted.

const FACEGATE_ORIGIN = new URL(import.meta.url).origin;
// fgcs_<the session id's 32 hex digits>_<random base64url>: the secret names its session
const CLIENT_SECRET = /^fgcs_([0-9a-f]{32})_[A-Za-z0-9_-]{16,}$/;
const MESSAGE_TYPE = 'facegate:session';
const CLOSE_TYPE = 'facegate:close';
const DEFAULT_CLOSE_DELAY_MS = 1500;

const STYLES = `
:host { all: initial; }
.overlay {
  position: fixed; inset: 0; z-index: 2147483647; display: flex; align-items: center; justify-content: center;
  background: rgba(15, 23, 42, 0.62); padding: 16px; box-sizing: border-box;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.dialog {
  position: relative; display: flex; flex-direction: column; width: min(520px, 100%); height: min(760px, 100%);
  background: #fff; color: #0f172a; border-radius: 14px; box-shadow: 0 24px 64px rgba(0, 0, 0, 0.35); overflow: hidden;
}
.bar { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 8px 8px 8px 16px;
  border-bottom: 1px solid #e2e8f0; }
.title { margin: 0; font-size: 15px; font-weight: 600; }
.close {
  all: unset; box-sizing: border-box; display: inline-flex; align-items: center; justify-content: center;
  width: 40px; height: 40px; border-radius: 8px; cursor: pointer; color: #334155; font-size: 24px; line-height: 1;
}
.close:hover { background: #f1f5f9; }
.close:focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
iframe { flex: 1; width: 100%; border: 0; background: #fff; }
.guard { position: absolute; width: 1px; height: 1px; overflow: hidden; }
@media (max-width: 560px) {
  .overlay { padding: 0; }
  .dialog { width: 100%; height: 100%; border-radius: 0; }
}
@media (prefers-reduced-motion: no-preference) {
  .dialog { animation: facegate-in 160ms ease-out; }
  @keyframes facegate-in { from { opacity: 0; transform: translateY(12px); } to { opacity: 1; transform: none; } }
}
`;

/** What open() rejects with, and what onError receives: `code` is 'closed', 'invalid_client_secret' or 'busy'. */
export class FacegateError extends Error {
  constructor(code, message, sessionId = null) {
    super(message);
    this.name = 'FacegateError';
    this.code = code;
    this.sessionId = sessionId;
  }
}

/** the session id a client secret belongs to, or null when it is not one */
export function sessionIdOf(clientSecret) {
  const match = typeof clientSecret === 'string' ? CLIENT_SECRET.exec(clientSecret) : null;
  return match ? `fgs_${match[1]}` : null;
}

let current = null; // the modal on screen: one at a time

function call(callback, ...args) {
  if (typeof callback !== 'function') return;
  try {
    callback(...args);
  } catch (error) {
    // the application's callback failed: report it without breaking the modal
    setTimeout(() => { throw error; });
  }
}

function styleRoot(root) {
  // a constructed style sheet is not inline style for the page's Content-Security-Policy
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = STYLES;
    root.append(style);
  }
}

function element(tag, attributes = {}, text = '') {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) e.setAttribute(name, value);
  if (text) e.textContent = text;
  return e;
}

/**
 * Opens the verification modal for a session the application's backend created (POST /v1/sessions).
 * Resolves with {sessionId, status, outcome, resultToken} when the session ends (status 'completed', or
 * 'expired' / 'canceled' when it cannot take a capture); rejects with a FacegateError 'closed' when the
 * person closes the modal first (onCancel is called too).
 */
export function open(options = {}) {
  const {
    clientSecret, onComplete, onCancel, onError, closeDelay = DEFAULT_CLOSE_DELAY_MS,
    title = 'Identity verification',
  } = options;
  let settle;
  const promise = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  // with callbacks the application may ignore the promise: its rejection is then not an unhandled one
  if (typeof onCancel === 'function' || typeof onError === 'function') promise.catch(() => {});

  const sessionId = sessionIdOf(clientSecret);
  const fail = (error) => {
    call(onError, error);
    settle.reject(error);
    return promise;
  };
  if (!sessionId) return fail(new FacegateError('invalid_client_secret', 'facegate.open: clientSecret is not a session\'s client secret (fgcs_...)'));
  if (current) return fail(new FacegateError('busy', 'facegate.open: a verification is already open', sessionId));

  const host = element('div', { 'data-facegate': 'modal' });
  const root = host.attachShadow({ mode: 'open' });
  styleRoot(root);
  const overlay = element('div', { class: 'overlay', part: 'overlay' });
  const dialog = element('div', {
    class: 'dialog', part: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'facegate-title',
  });
  const bar = element('div', { class: 'bar' });
  const heading = element('h2', { class: 'title', id: 'facegate-title' }, title);
  const closeButton = element('button', { class: 'close', type: 'button', 'aria-label': 'Close' }, '\u00d7');
  const frame = element('iframe', {
    title, allow: 'camera', referrerpolicy: 'no-referrer',
    src: `${FACEGATE_ORIGIN}/s/${sessionId}?embedOrigin=${encodeURIComponent(window.location.origin)}#${clientSecret}`,
  });
  // focus stays within the dialog: tabbing past either end comes back in at the other
  const guardStart = element('div', { class: 'guard', tabindex: '0', 'aria-hidden': 'true' });
  const guardEnd = element('div', { class: 'guard', tabindex: '0', 'aria-hidden': 'true' });
  guardStart.addEventListener('focus', () => frame.focus());
  guardEnd.addEventListener('focus', () => closeButton.focus());
  bar.append(heading, closeButton);
  dialog.append(bar, frame);
  overlay.append(guardStart, dialog, guardEnd);
  root.append(overlay);

  const previousFocus = document.activeElement;
  const previousOverflow = document.documentElement.style.overflow;
  let settled = false;
  let closeTimer = null;

  function remove() {
    if (current !== modal) return;
    current = null;
    clearTimeout(closeTimer);
    window.removeEventListener('message', onMessage);
    document.removeEventListener('keydown', onKeydown, true);
    host.remove();
    document.documentElement.style.overflow = previousOverflow;
    if (previousFocus && typeof previousFocus.focus === 'function') previousFocus.focus();
  }

  function dismiss() {
    remove();
    if (settled) return;
    settled = true;
    const error = new FacegateError('closed', 'the person closed the verification', sessionId);
    call(onCancel, { sessionId });
    settle.reject(error);
  }

  function onMessage(event) {
    // only the hosted page in this modal's iframe, on facegate's origin, is heard
    if (event.origin !== FACEGATE_ORIGIN || event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data || typeof data !== 'object') return;
    if (data.type === CLOSE_TYPE) {
      dismiss();
      return;
    }
    if (data.type !== MESSAGE_TYPE || data.sessionId !== sessionId || typeof data.status !== 'string' || settled) return;
    settled = true;
    const result = {
      sessionId,
      status: data.status,
      outcome: typeof data.outcome === 'string' ? data.outcome : null,
      resultToken: typeof data.resultToken === 'string' ? data.resultToken : null,
    };
    host.dataset.status = result.status;
    settle.resolve(result);
    call(onComplete, result);
    // the person reads the outcome a moment; a session that could not run stays until they close it
    if (result.status === 'completed' && closeDelay !== false && closeDelay !== null) {
      closeTimer = setTimeout(remove, Math.max(0, Number(closeDelay) || 0));
    }
  }

  function onKeydown(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      dismiss();
    }
  }

  closeButton.addEventListener('click', dismiss);
  window.addEventListener('message', onMessage);
  document.addEventListener('keydown', onKeydown, true);
  const modal = { close: dismiss };
  current = modal;
  document.body.append(host);
  document.documentElement.style.overflow = 'hidden';
  closeButton.focus();
  return promise;
}

/** Closes the modal on screen, as the person would (open() rejects with 'closed' if the session had not ended). */
export function close() {
  if (current) current.close();
}

const facegate = { open, close, sessionIdOf, FacegateError, origin: FACEGATE_ORIGIN };
export default facegate;
