// the hosted capture pages of a verification session (docs/sessions.md): /s/{id} reads the session's
// state and opens the sign-up page (a document) or the sign-in page (a selfie) in session mode, which
// skips the identifier (the application chose it), hides the site's navigation, and at the end shows
// the outcome and goes back to the application (its returnUrl, when the server allows its origin).
// In the SDK's modal (/s/{id}?embedOrigin=<the application's origin>, web/sdk/facegate.js) the page is
// framed by the application: the server checks that origin (frame-ancestors, and 400 on the state when it
// is not allowed), and at the end the page posts the session's end to that origin only instead of leaving.
import { ApiError, hostedSession, rememberEmbedOrigin, rememberSessionSecret, sessionState } from './api.js';
import { banner, clear } from './ui.js';

const REDIRECT_DELAY_MS = 1500;
const MESSAGE_TYPE = 'facegate:session'; // the session's end, to the SDK
const CLOSE_TYPE = 'facegate:close'; // Escape pressed inside the frame: the SDK closes its modal
const FINAL = new Set(['completed', 'expired', 'canceled']);

// to the application's page that frames this one, on its origin only (never '*'); nothing when not framed
function postToEmbedder(session, message) {
  if (!session || !session.embedOrigin || window.parent === window) return false;
  window.parent.postMessage(message, session.embedOrigin);
  return true;
}

function embedMode(session) {
  document.body.dataset.embed = 'true';
  // the modal is small: the page's footer is the application's to show, not ours
  for (const e of document.querySelectorAll('.site-footer, .skip-link')) e.hidden = true;
  // keys pressed in a frame never reach the page around it: Escape is passed on, and closes the modal
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') postToEmbedder(session, { type: CLOSE_TYPE, sessionId: session.id });
  });
}

// the page's session mode: hides what belongs to the demo; returns the session or null
export function enterSessionMode() {
  const session = hostedSession();
  if (!session) return null;
  document.body.dataset.session = 'true';
  if (session.embedOrigin) embedMode(session);
  for (const e of document.querySelectorAll('.site-nav, .steps li:first-child, [data-identifier]')) {
    (e.matches('[data-identifier]') ? e.parentElement : e).hidden = true;
  }
  for (const id of ['#document-back', '#photo-back', '#result-restart', '#result-signin', '#result-signup']) {
    const e = document.querySelector(id);
    if (e) e.hidden = true;
  }
  return session;
}

// what the person reads when the session cannot take a capture (or any more)
function stateMessage(status) {
  if (status === 'expired') return ['bad', 'This link has expired', 'Go back to the site you came from and start again.'];
  if (status === 'canceled') return ['bad', 'This check was canceled', 'Go back to the site you came from.'];
  if (status === 'processing') return ['warn', 'Your photo is being checked', 'Reload this page in a moment.'];
  return null;
}

// after a capture: `r` is the capture's answer ({decision, outcome, advice, status, attemptsLeft, redirectUrl?});
// the outcome itself was rendered by the page. Adds the end of the session: attempts left, or the way back
// (in the SDK's modal: the end posted to the application's page, which closes the modal)
export function renderSessionEnd(container, r, buttons, session = hostedSession()) {
  if (r.status === 'created') {
    if (r.attemptsLeft) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.dataset.attemptsLeft = String(r.attemptsLeft);
      p.textContent = `You can try ${r.attemptsLeft} more time${r.attemptsLeft === 1 ? '' : 's'}.`;
      container.append(p);
    }
    return;
  }
  for (const b of buttons) if (b) b.hidden = true;
  if (r.status === 'completed' && r.outcome === 'retry') {
    clear(container).append(banner('bad', 'We could not check your photo', 'You have used every attempt. Go back to the site you came from and use another way.'));
  } else if (r.status !== 'completed') {
    const [kind, title, text] = stateMessage(r.status) || ['bad', 'This check is over', 'Go back to the site you came from.'];
    clear(container).append(banner(kind, title, text));
  }
  container.dataset.sessionStatus = r.status;
  if (session && session.embedOrigin) {
    // the application's backend verifies resultToken; the person sees only the outcome
    if (FINAL.has(r.status) && postToEmbedder(session, {
      type: MESSAGE_TYPE, sessionId: session.id, status: r.status,
      outcome: r.status === 'completed' && typeof r.outcome === 'string' ? r.outcome : null,
      resultToken: typeof r.resultToken === 'string' ? r.resultToken : null,
    })) {
      container.dataset.sessionPosted = r.status;
    }
    const p = document.createElement('p');
    p.textContent = r.status === 'processing' ? '' : 'You can close this window now.';
    if (p.textContent) container.append(p);
  } else if (r.redirectUrl) {
    const link = document.createElement('a');
    link.className = 'button';
    link.id = 'session-continue';
    link.href = r.redirectUrl;
    link.textContent = 'Continue';
    container.append(link);
    setTimeout(() => window.location.assign(r.redirectUrl), REDIRECT_DELAY_MS);
  } else {
    const p = document.createElement('p');
    p.textContent = 'You can close this page now.';
    container.append(p);
  }
}

// after a refused capture: when the session is over (expired, canceled, out of attempts), say so
export async function sessionAfterError(session, container, buttons) {
  try {
    const state = await sessionState(session);
    if (state.status === 'created') return false;
    renderSessionEnd(container, sessionEnd(state), buttons, session);
    return true;
  } catch {
    return false;
  }
}

// what renderSessionEnd needs from the session's state
function sessionEnd(state) {
  return { ...(state.result || {}), status: state.status, redirectUrl: state.redirectUrl, resultToken: state.resultToken };
}

// /s/{id}[?embedOrigin=ORIGIN]#<clientSecret>: the entry point
export async function openHostedSession(card) {
  const id = window.location.pathname.split('/')[2] || '';
  const secret = decodeURIComponent(window.location.hash.slice(1));
  const embedOrigin = new URLSearchParams(window.location.search).get('embedOrigin') || '';
  // out of the address bar and the history at once: the secret must not be copied or bookmarked with the page
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  if (secret) rememberSessionSecret(id, secret);
  const known = hostedSession(id);
  if (!known) {
    clear(card).append(banner('bad', 'This link is not complete', 'Go back to the site you came from and start again.'));
    return;
  }
  // the framing origin is the server's to accept: only what it echoes is remembered for the capture pages
  rememberEmbedOrigin(id, null);
  const session = embedOrigin ? { ...known, embedOrigin } : known;
  let state;
  try {
    state = await sessionState(session);
  } catch (e) {
    const gone = e instanceof ApiError && e.status === 401;
    const refusedOrigin = embedOrigin && e instanceof ApiError && e.status === 400;
    card.dataset.sessionError = refusedOrigin ? 'embed-origin' : gone ? 'secret' : 'other';
    if (refusedOrigin) {
      clear(card).append(banner('bad', 'This site cannot show this check',
        'The site you came from is not allowed to open this verification here. Go back to it and use another way.'));
    } else {
      clear(card).append(banner('bad', gone ? 'This link is not valid' : 'Something went wrong',
        gone ? 'Go back to the site you came from and start again.' : 'Reload this page to try again.'));
    }
    return;
  }
  if (embedOrigin) {
    if (state.embedOrigin !== embedOrigin) {
      card.dataset.sessionError = 'embed-origin';
      clear(card).append(banner('bad', 'This site cannot show this check',
        'The site you came from is not allowed to open this verification here. Go back to it and use another way.'));
      return;
    }
    rememberEmbedOrigin(id, state.embedOrigin);
    embedMode(session);
  }
  if (state.status === 'created') {
    window.location.replace(`/${state.action === 'register' ? 'signup' : 'signin'}?session=${encodeURIComponent(id)}`);
    return;
  }
  const result = clear(card);
  renderSessionEnd(result, sessionEnd(state), [], session);
  if (state.status === 'completed' && state.result && state.result.outcome !== 'retry') {
    const accepted = state.result.outcome === 'accepted';
    result.prepend(banner(accepted ? 'ok' : 'bad', accepted ? 'All done' : 'This check is over',
      accepted ? 'Your check is complete.' : 'Go back to the site you came from and use another way.'));
  }
}
