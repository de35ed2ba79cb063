// the hosted capture pages of a verification session (docs/sessions.md): /s/{id} reads the session's
// state and opens the sign-up page (a document) or the sign-in page (a selfie) in session mode, which
// skips the identifier (the application chose it), hides the site's navigation, and at the end shows
// the outcome and goes back to the application (its returnUrl, when the server allows its origin).
import { ApiError, hostedSession, rememberSessionSecret, sessionState } from './api.js';
import { banner, clear } from './ui.js';

const REDIRECT_DELAY_MS = 1500;

// the page's session mode: hides what belongs to the demo; returns the session or null
export function enterSessionMode() {
  const session = hostedSession();
  if (!session) return null;
  document.body.dataset.session = 'true';
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
export function renderSessionEnd(container, r, buttons) {
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
  if (r.redirectUrl) {
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
    renderSessionEnd(container, { ...(state.result || {}), status: state.status, redirectUrl: state.redirectUrl }, buttons);
    return true;
  } catch {
    return false;
  }
}

// /s/{id}#<clientSecret>: the entry point
export async function openHostedSession(card) {
  const id = window.location.pathname.split('/')[2] || '';
  const secret = decodeURIComponent(window.location.hash.slice(1));
  // out of the address bar and the history at once: the secret must not be copied or bookmarked with the page
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  if (secret) rememberSessionSecret(id, secret);
  const session = hostedSession(id);
  if (!session) {
    clear(card).append(banner('bad', 'This link is not complete', 'Go back to the site you came from and start again.'));
    return;
  }
  let state;
  try {
    state = await sessionState(session);
  } catch (e) {
    const gone = e instanceof ApiError && e.status === 401;
    clear(card).append(banner('bad', gone ? 'This link is not valid' : 'Something went wrong',
      gone ? 'Go back to the site you came from and start again.' : 'Reload this page to try again.'));
    return;
  }
  if (state.status === 'created') {
    window.location.replace(`/${state.action === 'register' ? 'signup' : 'signin'}?session=${encodeURIComponent(id)}`);
    return;
  }
  const result = clear(card);
  renderSessionEnd(result, { ...(state.result || {}), status: state.status, redirectUrl: state.redirectUrl }, []);
  if (state.status === 'completed' && state.result && state.result.outcome !== 'retry') {
    const accepted = state.result.outcome === 'accepted';
    result.prepend(banner(accepted ? 'ok' : 'bad', accepted ? 'All done' : 'This check is over',
      accepted ? 'Your check is complete.' : 'Go back to the site you came from and use another way.'));
  }
}
