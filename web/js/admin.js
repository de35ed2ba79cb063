// /admin: the console behind an admin API key (Authorization: Bearer). Collections, users by external ID
// prefix, a user's faces (boxes and dates, never images), erasure with a confirm step, the audit log
// with filters, and the policy in effect.
import { ApiError, adminDelete, adminGet, adminKey, describeError, query } from './api.js';
import { clear, fmt, formatDate, h } from './ui.js';

const $ = (selector) => document.querySelector(selector);

const keySection = $('#key-section');
const keyInput = $('#admin-key');
const keyError = $('#admin-key-error');
const consoleView = $('#console');
const status = $('#console-status');
const usersCollection = $('#users-collection');
const auditCollection = $('#audit-collection');
const eraseDialog = $('#erase-dialog');

let currentUser = null; // {collectionId, externalId, faceCount}
let auditNextToken = null;
let auditFilters = {};

const enc = encodeURIComponent;

// ---- signing in with the key ----

$('#key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    showKeyError('Enter the admin key.');
    return;
  }
  adminKey.set(key);
  try {
    await loadCollections();
  } catch (error) {
    adminKey.clear();
    showKeyError(keyErrorText(error));
    return;
  }
  keyInput.value = '';
  openConsole();
});

function keyErrorText(error) {
  if (error instanceof ApiError && error.status === 401) return 'This key was not accepted. Check it and try again.';
  if (error instanceof ApiError && error.status === 403) return 'This key is not an admin key.';
  return describeError(error);
}

function showKeyError(message) {
  keyError.textContent = message;
  keyError.hidden = !message;
  keyInput.setAttribute('aria-invalid', message ? 'true' : 'false');
  keyInput.focus();
}

function openConsole() {
  showKeyError('');
  keyInput.setAttribute('aria-invalid', 'false');
  keySection.hidden = true;
  consoleView.hidden = false;
  $('#session-box').hidden = false;
  const heading = $('#collections-heading');
  heading.setAttribute('tabindex', '-1');
  heading.focus();
  Promise.all([loadCollections(), loadPolicy(), loadAudit()]).catch(reportError);
}

function signOut(message = '') {
  adminKey.clear();
  consoleView.hidden = true;
  $('#session-box').hidden = true;
  keySection.hidden = false;
  for (const id of ['#users-result', '#user-faces', '#audit-result', '#policy-body']) clear($(id));
  clear($('#collections-table tbody'));
  $('#user-detail').hidden = true;
  if (message) showKeyError(message);
  else keyInput.focus();
}

$('#sign-out').addEventListener('click', () => signOut());

// every call of the console: a key that stopped working sends the person back to the key form
async function call(request) {
  try {
    return await request();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      signOut(keyErrorText(error));
    }
    throw error;
  }
}

function reportError(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return; // handled by call()
  if (!(error instanceof ApiError)) console.error(error);
  setStatus(describeError(error), 'error');
}

function setStatus(message, kind = '') {
  status.textContent = message;
  status.className = `notice ${kind}`;
  status.hidden = !message;
}

// ---- collections ----

async function loadCollections() {
  const { collections = [] } = await call(() => adminGet('/v1/collections'));
  const body = clear($('#collections-table tbody'));
  if (!collections.length) {
    body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No collections yet: sign up someone first.')));
  }
  for (const c of collections) {
    body.append(h('tr', { 'data-collection': c.collectionId },
      h('td', { class: 'mono' }, c.collectionId),
      h('td', { class: 'num' }, String(c.faceCount ?? 0)),
      h('td', { class: 'num' }, String(c.userCount ?? 0)),
      h('td', {}, formatDate(c.createdAt)),
      h('td', {}, h('button', {
        type: 'button', class: 'secondary small', 'data-action': 'show-users', 'aria-label': `Users of ${c.collectionId}`,
      }, 'Users'))));
  }
  body.querySelectorAll('[data-action="show-users"]').forEach((button) => {
    button.addEventListener('click', () => {
      usersCollection.value = button.closest('tr').dataset.collection;
      $('#users-prefix').value = '';
      searchUsers().catch(reportError);
      focusHeading('#users-heading');
    });
  });
  fillCollectionSelect(usersCollection, collections, false);
  fillCollectionSelect(auditCollection, collections, true);
  return collections;
}

function fillCollectionSelect(select, collections, withAny) {
  const previous = select.value;
  clear(select);
  if (withAny) select.append(h('option', { value: '' }, 'Any'));
  for (const c of collections) select.append(h('option', { value: c.collectionId }, c.collectionId));
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  else if (!withAny && collections.some((c) => c.collectionId === 'demo')) select.value = 'demo';
}

$('#collections-refresh').addEventListener('click', () => loadCollections().catch(reportError));

// ---- users ----

$('#users-form').addEventListener('submit', (event) => {
  event.preventDefault();
  searchUsers().catch(reportError);
});

async function searchUsers() {
  const collectionId = usersCollection.value;
  const result = clear($('#users-result'));
  if (!collectionId) {
    result.append(h('p', { class: 'muted' }, 'There is no collection to search yet.'));
    return;
  }
  const prefix = $('#users-prefix').value;
  const { users = [] } = await call(() => adminGet(`/v1/collections/${enc(collectionId)}/users${query({ prefix, limit: 100 })}`));
  if (!users.length) {
    result.append(h('p', { class: 'muted' }, prefix ? `No user's external ID starts with “${prefix}”.` : 'No users in this collection.'));
    return;
  }
  const rows = users.map((u) => h('tr', { 'data-external-id': u.externalId },
    h('td', { class: 'mono' }, u.externalId),
    h('td', { class: 'num' }, String(u.faceCount ?? 0)),
    h('td', {}, formatDate(u.firstIndexed)),
    h('td', {}, formatDate(u.lastIndexed)),
    h('td', {}, h('div', { class: 'button-row' },
      h('button', { type: 'button', class: 'secondary small', 'data-action': 'faces', 'aria-label': `Faces of ${u.externalId}` }, 'Faces'),
      h('button', { type: 'button', class: 'danger small', 'data-action': 'erase', 'aria-label': `Erase ${u.externalId}` }, 'Erase…')))));
  result.append(
    h('p', { class: 'muted small' }, `${users.length} user${users.length === 1 ? '' : 's'} in ${collectionId}`),
    h('div', { class: 'table-wrap' }, h('table', { id: 'users-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'External ID'), h('th', { scope: 'col', class: 'num' }, 'Faces'),
        h('th', { scope: 'col' }, 'First indexed'), h('th', { scope: 'col' }, 'Last indexed'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, rows))));
  users.forEach((u, i) => {
    const user = { collectionId, externalId: u.externalId, faceCount: u.faceCount };
    rows[i].querySelector('[data-action="faces"]').addEventListener('click', () => showUser(user).catch(reportError));
    rows[i].querySelector('[data-action="erase"]').addEventListener('click', (e) => confirmErase(user, e.currentTarget));
  });
}

async function showUser(user) {
  currentUser = user;
  const detail = $('#user-detail');
  $('#user-name').textContent = user.externalId;
  const faces = clear($('#user-faces'));
  detail.hidden = false;
  focusHeading('#user-heading');
  let record;
  try {
    record = await call(() => adminGet(`/v1/collections/${enc(user.collectionId)}/users/${enc(user.externalId)}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      faces.append(h('p', { class: 'muted' }, 'This user has no faces (any more).'));
      return;
    }
    throw error;
  }
  const list = record.faces || [];
  currentUser.faceCount = list.length;
  faces.append(h('div', { class: 'table-wrap' }, h('table', { id: 'faces-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Face ID'), h('th', { scope: 'col' }, 'Image ID'), h('th', { scope: 'col' }, 'Box'),
      h('th', { scope: 'col', class: 'num' }, 'Confidence'), h('th', { scope: 'col' }, 'Indexed'))),
    h('tbody', {}, list.map((f) => h('tr', {},
      h('td', { class: 'mono' }, f.faceId),
      h('td', { class: 'mono' }, f.imageId || '–'),
      h('td', {}, boxText(f.boundingBox)),
      h('td', { class: 'num' }, fmt(f.confidence)),
      h('td', {}, formatDate(f.indexedAt))))))));
}

// a face's bounding box as a person reads it: where its top-left corner is and how big it is
function boxText(box) {
  if (!box) return '–';
  const pct = (v) => `${Math.round(Number(v) * 100)}%`;
  return `${pct(box.Width)} × ${pct(box.Height)} at ${pct(box.Left)} from the left, ${pct(box.Top)} from the top`;
}

$('#close-user').addEventListener('click', () => {
  $('#user-detail').hidden = true;
  focusHeading('#users-heading');
});

$('#erase-user').addEventListener('click', (e) => {
  if (currentUser) confirmErase(currentUser, e.currentTarget);
});

// ---- erasure, with a confirm step ----

function confirmErase(user, opener) {
  $('#erase-name').textContent = user.externalId;
  $('#erase-collection').textContent = user.collectionId;
  const n = user.faceCount;
  $('#erase-count').textContent = typeof n === 'number' ? `${n} face${n === 1 ? '' : 's'}` : 'all of them';
  eraseDialog.returnValue = '';
  eraseDialog.showModal();
  eraseDialog.addEventListener('close', async () => {
    if (eraseDialog.returnValue !== 'erase') {
      if (opener && opener.isConnected) opener.focus();
      return;
    }
    try {
      const result = await call(() => adminDelete(`/v1/collections/${enc(user.collectionId)}/users/${enc(user.externalId)}`));
      const deleted = result.deletedFaces ?? 0;
      setStatus(`Erased ${user.externalId}: ${deleted} face${deleted === 1 ? '' : 's'} deleted.`, 'success');
      if (currentUser && currentUser.externalId === user.externalId) $('#user-detail').hidden = true;
      await Promise.all([searchUsers(), loadCollections(), loadAudit()]);
    } catch (error) {
      reportError(error);
    }
    status.setAttribute('tabindex', '-1');
    status.focus();
  }, { once: true });
}

// ---- audit log ----

$('#audit-form').addEventListener('submit', (event) => {
  event.preventDefault();
  loadAudit().catch(reportError);
});

$('#audit-more').addEventListener('click', () => loadAudit({ more: true }).catch(reportError));

async function loadAudit({ more = false } = {}) {
  if (!more) {
    auditFilters = {
      collectionId: auditCollection.value,
      externalId: $('#audit-external-id').value,
      action: $('#audit-action').value,
      decision: $('#audit-decision').value,
    };
    auditNextToken = null;
  }
  const page = await call(() => adminGet(`/v1/audit${query({ ...auditFilters, limit: 50, nextToken: more ? auditNextToken : null })}`));
  const records = page.records || [];
  auditNextToken = page.nextToken || null;
  $('#audit-more').hidden = !auditNextToken;

  const result = $('#audit-result');
  let body = result.querySelector('tbody');
  if (!more || !body) {
    clear(result);
    if (!records.length) {
      result.append(h('p', { class: 'muted' }, 'No records match these filters.'));
      return;
    }
    body = h('tbody');
    result.append(h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table' },
      h('thead', {}, h('tr', {},
        ['Time', 'Action', 'Collection', 'External ID', 'Decision', 'Scores', 'Reasons', 'Client']
          .map((name) => h('th', { scope: 'col' }, name)))),
      body)));
  }
  for (const r of records) {
    body.append(h('tr', { 'data-seq': r.seq, 'data-action': r.action, 'data-decision': r.decision ?? '' },
      h('td', { class: 'nowrap' }, formatDate(r.time)),
      h('td', {}, r.action),
      h('td', { class: 'mono' }, r.collectionId ?? '–'),
      h('td', { class: 'mono' }, r.externalId ?? '–'),
      h('td', {}, decisionBadge(r.decision)),
      h('td', {}, scoresText(r.scores)),
      h('td', {}, Array.isArray(r.reasons) && r.reasons.length ? r.reasons.join(', ') : '–'),
      h('td', { class: 'mono' }, r.client ?? '–')));
  }
}

function decisionBadge(decision) {
  if (!decision) return '–';
  const kind = { accepted: 'ok', rejected: 'bad', existing_user: 'warn', throttled: 'warn', refused: 'bad' }[decision] || '';
  const text = { existing_user: 'already registered' }[decision] || decision;
  return h('span', { class: `badge ${kind}` }, text);
}

function scoresText(scores) {
  if (!scores || typeof scores !== 'object') return '–';
  const parts = Object.entries(scores)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? fmt(v) : typeof v === 'object' ? JSON.stringify(v) : v}`);
  return parts.length ? parts.join(', ') : '–';
}

// ---- policy ----

const POLICY_LABELS = {
  register: 'Sign-up (register)',
  minDocumentConfidence: 'Lowest document confidence accepted',
  maxExistingSearchConfidence: 'Highest similarity to a face already registered',
  allowExpired: 'Expired documents accepted',
  verify: 'Sign-in (verify)',
  minConfidence: 'Lowest match confidence accepted',
  requireLiveness: 'Liveness required',
  rateLimits: 'Rate limits',
  verifyPerExternalId: 'Sign-ins per identifier in a window',
  verifyPerClient: 'Sign-ins per client in a window',
  registerPerExternalId: 'Sign-ups per identifier in a window',
  registerPerClient: 'Sign-ups per client in a window',
  windowSeconds: 'Window (seconds)',
  demoCollection: 'Collection of the demo pages',
};

async function loadPolicy() {
  const policy = await call(() => adminGet('/v1/policy'));
  const body = clear($('#policy-body'));
  body.append(policyList(policy));
}

function policyList(object) {
  const list = h('dl', { class: 'policy' });
  for (const [key, value] of Object.entries(object || {})) {
    const label = POLICY_LABELS[key] || words(key);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      list.append(h('dt', { 'data-key': key, class: 'group' }, label), h('dd', { class: 'group' }, policyList(value)));
    } else {
      list.append(h('dt', { 'data-key': key }, label), h('dd', { 'data-key': key }, valueText(value)));
    }
  }
  return list;
}

function valueText(value) {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.join(', ');
  if (value === null || value === undefined) return '–';
  return String(value);
}

// "maxVerifiesPerMinute" -> "Max verifies per minute"
function words(key) {
  const spaced = key.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function focusHeading(selector) {
  const heading = $(selector);
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

// ---- start ----

if (adminKey.get()) {
  // a reload in the same tab: check the key is still good before showing anything
  loadCollections().then(openConsole, (error) => {
    adminKey.clear();
    showKeyError(keyErrorText(error));
  });
} else {
  keyInput.focus();
}
