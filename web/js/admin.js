// /admin: the console behind an admin API key (Authorization: Bearer). Collections, users by external ID
// prefix, a user's faces (boxes and dates, never images), erasure with a confirm step, the verification
// sessions and the webhooks with their deliveries (replay), the audit log with filters (its scores in
// columns, its reasons in words with the code beside), and the policy in effect. Everything from the
// server goes into the page as text (h() and textContent), never as HTML.
import { ApiError, adminDelete, adminGet, adminKey, adminPost, describeError, query } from './api.js';
import { consoleReason } from './reasons.js';
import { clear, fmt, formatDate, h } from './ui.js';

const $ = (selector) => document.querySelector(selector);

const keySection = $('#key-section');
const keyInput = $('#admin-key');
const keyError = $('#admin-key-error');
const consoleView = $('#console');
const status = $('#console-status');
const usersCollection = $('#users-collection');
const auditCollection = $('#audit-collection');
const sessionsCollection = $('#sessions-collection');
const webhookCollection = $('#webhook-collection');
const eraseDialog = $('#erase-dialog');

let currentUser = null; // {collectionId, externalId, faceCount}
let auditNextToken = null;
let auditFilters = {};
let auditRecords = [];
let sessionsNextToken = null;
let sessionsFilters = {};
let sessionsList = [];
let webhooksList = [];

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
  loadSessions().catch(reportError);
  loadWebhooks().then(() => loadDeliveries()).catch(reportError);
}

function signOut(message = '') {
  adminKey.clear();
  consoleView.hidden = true;
  $('#session-box').hidden = true;
  keySection.hidden = false;
  for (const id of ['#users-result', '#user-faces', '#audit-result', '#policy-body', '#sessions-result',
    '#webhooks-result', '#deliveries-result']) clear($(id));
  $('#webhook-secret').hidden = true;
  $('#webhook-secret-value').textContent = '';
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
  fillCollectionSelect(sessionsCollection, collections, true);
  fillCollectionSelect(webhookCollection, collections, true);
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
  // the external ID is the way to a user's faces (a button; a click anywhere else on the row does the same)
  const rows = users.map((u) => h('tr', { 'data-external-id': u.externalId, class: 'clickable' },
    h('td', { class: 'mono' }, h('button', { type: 'button', class: 'link-button', 'data-action': 'faces',
      title: `Show the faces of ${u.externalId}` }, u.externalId)),
    h('td', { class: 'num' }, String(u.faceCount ?? 0)),
    h('td', {}, formatDate(u.firstIndexed)),
    h('td', {}, formatDate(u.lastIndexed)),
    h('td', {}, h('button', { type: 'button', class: 'danger small', 'data-action': 'erase', 'aria-label': `Erase ${u.externalId}` }, 'Erase…'))));
  result.append(
    h('p', { class: 'muted small' }, `${users.length} user${users.length === 1 ? '' : 's'} in ${collectionId}: choose one to see its faces.`),
    h('div', { class: 'table-wrap' }, h('table', { id: 'users-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'External ID'), h('th', { scope: 'col', class: 'num' }, 'Faces'),
        h('th', { scope: 'col' }, 'First indexed'), h('th', { scope: 'col' }, 'Last indexed'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, rows))));
  users.forEach((u, i) => {
    const user = { collectionId, externalId: u.externalId, faceCount: u.faceCount };
    rows[i].querySelector('[data-action="faces"]').addEventListener('click', (e) => {
      e.stopPropagation();
      showUser(user).catch(reportError);
    });
    rows[i].addEventListener('click', (e) => {
      if (e.target.closest('button, a')) return;
      showUser(user).catch(reportError);
    });
    rows[i].querySelector('[data-action="erase"]').addEventListener('click', (e) => {
      e.stopPropagation();
      confirmErase(user, e.currentTarget);
    });
  });
  for (const row of rows) row.classList.toggle('selected', Boolean(currentUser) && row.dataset.externalId === currentUser.externalId);
}

async function showUser(user) {
  currentUser = user;
  const detail = $('#user-detail');
  $('#user-name').textContent = user.externalId;
  $('#user-collection').textContent = user.collectionId;
  document.querySelectorAll('#users-table tbody tr').forEach((tr) => {
    tr.classList.toggle('selected', tr.dataset.externalId === user.externalId);
  });
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
  const records = Array.isArray(page.records) ? page.records : [];
  auditRecords = more ? auditRecords.concat(records) : records;
  auditNextToken = page.nextToken || null;
  $('#audit-more').hidden = !auditNextToken;
  renderAudit();
}

// the scores of the audit, one column each (only those the shown records have), in this order
const SCORE_COLUMNS = [
  ['documentConfidence', 'Document', 'Document confidence (0-100)'],
  ['existingSearchConfidence', 'Same face', 'Highest similarity to a face already registered (0-100)'],
  ['confidence', 'Match', "Similarity to the identifier's own faces (0-100)"],
  ['topMatchSimilarity', 'Best match', 'Similarity of the best match in the collection (0-100)'],
  ['liveness', 'Liveness', 'Liveness score (0-100)'],
];
const DETAIL_LABELS = {
  indexed: 'Indexed', format: 'Format', faceId: 'Face ID', externalIdMatched: 'Identifier matched',
  deletedFaces: 'Faces deleted', client: 'Client',
};

function renderAudit() {
  const result = clear($('#audit-result'));
  if (!auditRecords.length) {
    result.append(h('p', { class: 'muted' }, 'No records match these filters.'));
    return;
  }
  const scoreOf = (r, key) => (r.scores && typeof r.scores === 'object' ? r.scores[key] : undefined);
  const columns = SCORE_COLUMNS.filter(([key]) => auditRecords.some((r) => typeof scoreOf(r, key) === 'number'));
  const known = new Set(SCORE_COLUMNS.map(([key]) => key));
  result.append(h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table', class: 'audit' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Action'), h('th', { scope: 'col' }, 'Collection'),
      h('th', { scope: 'col' }, 'External ID'), h('th', { scope: 'col' }, 'Decision'),
      columns.map(([key, label, title]) => h('th', { scope: 'col', class: 'num', 'data-score': key, title }, label)),
      h('th', { scope: 'col' }, 'Reasons'), h('th', { scope: 'col' }, 'Details'))),
    h('tbody', {}, auditRecords.map((r) => h('tr', { 'data-seq': r.seq, 'data-action': r.action, 'data-decision': r.decision ?? '' },
      h('td', { class: 'time' }, formatDate(r.time)),
      h('td', {}, r.action),
      h('td', { class: 'mono' }, r.collectionId ?? '–'),
      h('td', { class: 'mono' }, r.externalId ?? '–'),
      h('td', {}, decisionBadge(r.decision)),
      columns.map(([key]) => {
        const v = scoreOf(r, key);
        return h('td', { class: 'num', 'data-score': key }, typeof v === 'number' ? fmt(v) : '–');
      }),
      h('td', {}, reasonsCell(r.reasons)),
      // the client (a key ID or an address) is one of the details: one column fewer to fit a laptop's width
      h('td', {}, detailsCell({ ...(r.scores && typeof r.scores === 'object' ? r.scores : {}), client: r.client }, known))))))));
}

// the reasons in plain words, each with its code beside
function reasonsCell(reasons) {
  if (!Array.isArray(reasons) || !reasons.length) return '–';
  return h('ul', { class: 'reason-codes' }, reasons.map((code) => {
    const { text } = consoleReason(code);
    return h('li', { 'data-reason': String(code) }, text, ' ', h('code', {}, String(code)));
  }));
}

// what the audit record holds besides the score columns, as "label: value" lines
function detailsCell(scores, skip) {
  if (!scores || typeof scores !== 'object') return '–';
  const lines = [];
  const add = (key, value, prefix = '') => {
    if (value === null || value === undefined || value === '') return;
    const label = prefix + (DETAIL_LABELS[key] || words(key));
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) add(k, v, `${label} · `);
      return;
    }
    let text;
    if (typeof value === 'boolean') text = value ? 'yes' : 'no';
    else if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : fmt(value);
    else if (Array.isArray(value)) text = value.map(String).join(', ');
    else text = String(value);
    lines.push(h('li', { 'data-detail': key }, h('span', { class: 'muted' }, `${label}: `), text));
  };
  for (const [key, value] of Object.entries(scores)) if (!skip.has(key)) add(key, value);
  return lines.length ? h('ul', { class: 'details' }, lines) : '–';
}

function decisionBadge(decision) {
  if (!decision) return '–';
  const kind = { accepted: 'ok', rejected: 'bad', existing_user: 'warn', throttled: 'warn', refused: 'bad' }[decision] || '';
  const text = { existing_user: 'already registered' }[decision] || decision;
  return h('span', { class: `badge ${kind}` }, text);
}

// ---- verification sessions ----

const SESSION_STATUS = {
  created: ['waiting', ''], processing: ['processing', 'warn'], completed: ['completed', 'ok'],
  expired: ['expired', 'bad'], canceled: ['canceled', 'bad'],
};

function statusBadge(status, table) {
  if (!status) return '–';
  const [text, kind] = table[status] || [String(status), ''];
  return h('span', { class: `badge ${kind}`, 'data-status': String(status) }, text);
}

// a server without the list (or the route) answers 404 or 405: the section says so instead of an error
function notOnThisServer(error) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405);
}

$('#sessions-form').addEventListener('submit', (event) => {
  event.preventDefault();
  loadSessions().catch(reportError);
});

$('#sessions-more').addEventListener('click', () => loadSessions({ more: true }).catch(reportError));

async function loadSessions({ more = false } = {}) {
  if (!more) {
    sessionsFilters = {
      status: $('#sessions-status').value,
      action: $('#sessions-action').value,
      collectionId: sessionsCollection.value,
    };
    sessionsNextToken = null;
  }
  const result = $('#sessions-result');
  let page;
  try {
    page = await call(() => adminGet(`/v1/sessions${query({ ...sessionsFilters, limit: 50, nextToken: more ? sessionsNextToken : null })}`));
  } catch (error) {
    if (!notOnThisServer(error)) throw error;
    clear(result).append(h('p', { class: 'muted' }, 'This server does not list verification sessions.'));
    $('#sessions-more').hidden = true;
    return;
  }
  const sessions = Array.isArray(page.sessions) ? page.sessions : [];
  sessionsList = more ? sessionsList.concat(sessions) : sessions;
  sessionsNextToken = page.nextToken || null;
  $('#sessions-more').hidden = !sessionsNextToken;
  clear(result);
  if (!sessionsList.length) {
    result.append(h('p', { class: 'muted' }, 'No sessions match these filters.'));
    return;
  }
  result.append(h('div', { class: 'table-wrap' }, h('table', { id: 'sessions-table' },
    h('thead', {}, h('tr', {}, ['Created', 'Session', 'Action', 'Collection', 'External ID', 'Status', 'Attempts',
      'Decision', 'Times', 'Owner'].map((name) => h('th', { scope: 'col', class: name === 'Attempts' ? 'num' : null }, name)))),
    h('tbody', {}, sessionsList.map((s) => h('tr', { 'data-session-id': s.sessionId, 'data-status': s.status ?? '',
      'data-action': s.action ?? '' },
    h('td', { class: 'nowrap' }, formatDate(s.createdAt)),
    h('td', { class: 'mono' }, s.sessionId ?? '–'),
    h('td', {}, s.action ?? '–'),
    h('td', { class: 'mono' }, s.collectionId ?? '–'),
    h('td', { class: 'mono' }, s.externalId ?? '–'),
    h('td', {}, statusBadge(s.status, SESSION_STATUS)),
    h('td', { class: 'num' }, `${s.attempts ?? 0} of ${s.maxAttempts ?? '–'}`),
    h('td', {}, decisionBadge(s.decision)),
    h('td', {}, timesCell([['Expires', s.expiresAt], ['Completed', s.completedAt]])),
    h('td', { class: 'mono' }, s.owner ?? '–')))))));
}

// several times of one row, one line each, those with a value only
function timesCell(times) {
  const lines = times.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([label, v]) => h('li', {}, h('span', { class: 'muted' }, `${label}: `), formatDate(v)));
  return lines.length ? h('ul', { class: 'details' }, lines) : '–';
}

// ---- webhooks and their deliveries ----

async function loadWebhooks() {
  const result = $('#webhooks-result');
  let answer;
  try {
    answer = await call(() => adminGet('/v1/webhooks'));
  } catch (error) {
    if (!notOnThisServer(error)) throw error;
    clear(result).append(h('p', { class: 'muted' }, 'This server has no webhooks.'));
    webhooksList = [];
    $('#webhook-add').hidden = true;
    $('#deliveries-form').hidden = true;
    $('#deliveries-heading').hidden = true;
    return;
  }
  $('#webhook-add').hidden = false;
  $('#deliveries-form').hidden = false;
  $('#deliveries-heading').hidden = false;
  webhooksList = Array.isArray(answer.webhooks) ? answer.webhooks : [];
  clear(result);
  if (!webhooksList.length) {
    result.append(h('p', { class: 'muted' }, 'No webhooks yet.'));
  } else {
    const rows = webhooksList.map((w) => h('tr', { 'data-webhook-id': w.webhookId },
      h('td', { class: 'mono' }, w.url ?? '–'),
      h('td', { class: 'mono' }, w.collectionId || 'any'),
      h('td', { class: 'mono' }, w.keyId || 'any'),
      h('td', {}, w.description || '–'),
      h('td', { class: 'nowrap' }, formatDate(w.createdAt)),
      h('td', {}, h('div', { class: 'button-row' },
        h('button', { type: 'button', class: 'secondary small', 'data-action': 'deliveries',
          'aria-label': `Deliveries of ${w.url}` }, 'Deliveries'),
        h('button', { type: 'button', class: 'danger small', 'data-action': 'delete',
          'aria-label': `Delete the webhook ${w.url}` }, 'Delete…')))));
    result.append(h('div', { class: 'table-wrap' }, h('table', { id: 'webhooks-table' },
      h('thead', {}, h('tr', {}, ['URL', 'Collection', 'Key', 'Description', 'Created']
        .map((name) => h('th', { scope: 'col' }, name)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, rows))));
    webhooksList.forEach((w, i) => {
      rows[i].querySelector('[data-action="deliveries"]').addEventListener('click', () => {
        $('#deliveries-webhook').value = w.webhookId;
        loadDeliveries().catch(reportError);
        focusHeading('#deliveries-heading');
      });
      rows[i].querySelector('[data-action="delete"]').addEventListener('click', (e) => confirmDeleteWebhook(w, e.currentTarget));
    });
  }
  const select = $('#deliveries-webhook');
  const previous = select.value;
  clear(select).append(h('option', { value: '' }, 'Any'),
    ...webhooksList.map((w) => h('option', { value: w.webhookId }, w.description ? `${w.description} (${w.url})` : w.url)));
  if (webhooksList.some((w) => w.webhookId === previous)) select.value = previous;
}

$('#webhook-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const urlInput = $('#webhook-url');
  const url = urlInput.value.trim();
  const urlError = $('#webhook-url-error');
  let message = '';
  if (!url) message = 'Enter the URL the events are sent to.';
  else if (!/^https?:\/\/[^\s]+$/i.test(url)) message = 'An http:// or https:// URL.';
  urlError.textContent = message;
  urlError.hidden = !message;
  urlInput.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) {
    urlInput.focus();
    return;
  }
  const body = { url };
  if (webhookCollection.value) body.collectionId = webhookCollection.value;
  const keyId = $('#webhook-key').value.trim();
  if (keyId) body.keyId = keyId;
  const description = $('#webhook-description').value.trim();
  if (description) body.description = description;
  try {
    const created = await call(() => adminPost('/v1/webhooks', body));
    $('#webhook-secret-value').textContent = created.secret || '';
    $('#webhook-secret').hidden = !created.secret;
    for (const id of ['#webhook-url', '#webhook-key', '#webhook-description']) $(id).value = '';
    await loadWebhooks();
    setStatus('');
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) {
      urlError.textContent = error.message;
      urlError.hidden = false;
      urlInput.setAttribute('aria-invalid', 'true');
      urlInput.focus();
      return;
    }
    reportError(error);
  }
});

function confirmDeleteWebhook(webhook, opener) {
  const dialog = $('#webhook-delete-dialog');
  $('#webhook-delete-url').textContent = webhook.url;
  dialog.returnValue = '';
  dialog.showModal();
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'delete') {
      if (opener && opener.isConnected) opener.focus();
      return;
    }
    try {
      await call(() => adminDelete(`/v1/webhooks/${enc(webhook.webhookId)}`));
      setStatus(`Deleted the webhook ${webhook.url}.`, 'success');
      $('#webhook-secret').hidden = true;
      await loadWebhooks();
      await loadDeliveries();
    } catch (error) {
      reportError(error);
    }
    status.setAttribute('tabindex', '-1');
    status.focus();
  }, { once: true });
}

$('#deliveries-form').addEventListener('submit', (event) => {
  event.preventDefault();
  loadDeliveries().catch(reportError);
});

const DELIVERY_STATUS = { pending: ['pending', 'warn'], delivered: ['delivered', 'ok'], failed: ['failed', 'bad'] };

async function loadDeliveries() {
  const result = $('#deliveries-result');
  if ($('#deliveries-form').hidden) {
    clear(result);
    return;
  }
  const filters = { webhookId: $('#deliveries-webhook').value, status: $('#deliveries-status').value, limit: 100 };
  let answer;
  try {
    answer = await call(() => adminGet(`/v1/webhook-deliveries${query(filters)}`));
  } catch (error) {
    if (!notOnThisServer(error)) throw error;
    clear(result).append(h('p', { class: 'muted' }, 'This server does not list webhook deliveries.'));
    return;
  }
  const deliveries = Array.isArray(answer.deliveries) ? answer.deliveries : [];
  clear(result);
  if (!deliveries.length) {
    result.append(h('p', { class: 'muted' }, 'No deliveries match these filters.'));
    return;
  }
  const body = h('tbody');
  for (const d of deliveries) body.append(deliveryRow(d));
  result.append(h('div', { class: 'table-wrap' }, h('table', { id: 'deliveries-table' },
    h('thead', {}, h('tr', {}, ['Event', 'Webhook', 'Session', 'Status', 'Attempts', 'Last HTTP status', 'Last error', 'Times']
      .map((name) => h('th', { scope: 'col', class: ['Attempts', 'Last HTTP status'].includes(name) ? 'num' : null }, name)),
    h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    body)));
}

function webhookName(id) {
  const w = webhooksList.find((x) => x.webhookId === id);
  return w ? w.url : id;
}

function deliveryRow(d) {
  const replay = h('button', { type: 'button', class: 'secondary small', 'data-action': 'replay',
    'aria-label': `Replay the delivery ${d.deliveryId}` }, 'Replay');
  const row = h('tr', { 'data-delivery-id': d.deliveryId, 'data-status': d.status ?? '' },
    h('td', {}, h('span', { class: 'mono' }, d.type ?? '–'), h('br'), h('span', { class: 'muted small mono' }, d.eventId ?? '')),
    h('td', { class: 'mono' }, webhookName(d.webhookId) ?? '–'),
    h('td', { class: 'mono' }, d.sessionId ?? '–'),
    h('td', {}, statusBadge(d.status, DELIVERY_STATUS)),
    h('td', { class: 'num', 'data-field': 'attempts' }, String(d.attempts ?? 0)),
    h('td', { class: 'num', 'data-field': 'lastStatusCode' }, d.lastStatusCode ? String(d.lastStatusCode) : '–'),
    h('td', { class: 'wrap', 'data-field': 'lastError' }, d.lastError || '–'),
    h('td', {}, timesCell([['Created', d.createdAt], ['Next attempt', d.nextAttemptAt], ['Delivered', d.deliveredAt]])),
    h('td', {}, replay));
  replay.addEventListener('click', async () => {
    replay.disabled = true;
    try {
      const updated = await call(() => adminPost(`/v1/webhook-deliveries/${enc(d.deliveryId)}/replay`));
      const fresh = deliveryRow(updated && updated.deliveryId ? updated : d);
      row.replaceWith(fresh);
      setStatus(`Delivery ${d.deliveryId} queued again.`, 'success');
      fresh.querySelector('[data-action="replay"]').focus();
    } catch (error) {
      replay.disabled = false;
      reportError(error);
    }
  });
  return row;
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
