// /signup: identifier -> document photo -> POST /v1/register on the demo collection -> the decision.
import { ApiError, demoPost, demoSession, describeError } from './api.js';
import { registerReasons } from './reasons.js';
import {
  Progress, banner, checkField, clear, fitImage, gauge, h, identifierError, lastIdentifier, reasonList, showStep,
} from './ui.js';

const $ = (selector) => document.querySelector(selector);

const steps = $('.steps');
const sections = [$('#step-identifier'), $('#step-document'), $('#step-result')];
const identifierInput = $('#identifier');
const fileInputs = [$('#document-file'), $('#document-camera')];
const preview = $('#document-preview');
const fileName = $('#document-name');
const errorBox = $('#document-error');
const progress = new Progress($('#register-progress'));
const submitButton = $('#document-submit');

let identifier = '';
let documentFile = null;
let previewUrl = null;

// a phone offers its camera for the document; a desktop's file picker already covers everything
if (window.matchMedia('(pointer: coarse)').matches) $('#camera-choice').hidden = false;

identifierInput.value = lastIdentifier.get();
// start the demo session early: the first register does not wait for it
demoSession().catch(() => {});

$('#identifier-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = identifierInput.value.trim();
  if (!checkField(identifierInput, $('#identifier-error'), identifierError(value))) return;
  identifier = value;
  lastIdentifier.set(value);
  document.querySelectorAll('[data-identifier]').forEach((e) => { e.textContent = value; });
  showStep(steps, sections, 1);
});

$('#document-back').addEventListener('click', () => showStep(steps, sections, 0));

for (const input of fileInputs) {
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    if (!file) return;
    // the other input's choice is replaced by this one
    for (const other of fileInputs) if (other !== input) other.value = '';
    chooseFile(file);
  });
}

function chooseFile(file) {
  hideError();
  if (file.type && !file.type.startsWith('image/')) {
    showError('That file is not a picture. Choose a photo (JPEG or PNG) of your document.');
    return;
  }
  documentFile = file;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  preview.src = previewUrl;
  preview.hidden = false;
  fileName.textContent = `${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)`;
  fileName.hidden = false;
}

$('#document-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!documentFile) {
    showError('Choose a photo of your document first.');
    fileInputs[0].focus();
    return;
  }
  hideError();
  setBusy(true);
  progress.start('Preparing the photo…');
  try {
    const file = await fitImage(documentFile);
    const form = new FormData();
    form.set('externalId', identifier);
    form.set('document', file, file.name || 'document.jpg');
    const result = await demoPost('/v1/register', form, {
      onUploadProgress: (fraction) => {
        if (fraction !== null && fraction >= 1) progress.working('Checking your document: reading it and looking for your face…');
        else progress.upload(fraction, 'Sending your document');
      },
    });
    progress.stop();
    renderResult(result);
    showStep(steps, sections, 2);
  } catch (error) {
    progress.stop();
    if (!(error instanceof ApiError)) console.error(error);
    showError(describeError(error));
  } finally {
    setBusy(false);
  }
});

$('#result-retry').addEventListener('click', () => showStep(steps, sections, 1));
$('#result-restart').addEventListener('click', () => {
  documentFile = null;
  preview.hidden = true;
  fileName.hidden = true;
  for (const input of fileInputs) input.value = '';
  showStep(steps, sections, 0);
});

function setBusy(busy) {
  submitButton.disabled = busy;
  $('#document-back').disabled = busy;
  for (const input of fileInputs) input.disabled = busy;
  sections[1].setAttribute('aria-busy', busy ? 'true' : 'false');
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function hideError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

const FIELD_LABELS = [
  ['surname', 'Surname'],
  ['givenNames', 'Given names'],
  ['documentNumber', 'Document number'],
  ['documentType', 'Document type'],
  ['issuingState', 'Issuing state'],
  ['nationality', 'Nationality'],
  ['birthDate', 'Date of birth'],
  ['sex', 'Sex'],
  ['expiryDate', 'Expiry date'],
  ['optionalData', 'Optional data'],
];

const FORMAT_NAMES = {
  TD1: 'ID card (TD1)',
  TD2: 'ID card (TD2)',
  TD3: 'Passport (TD3)',
  'MRV-A': 'Visa (MRV-A)',
  'MRV-B': 'Visa (MRV-B)',
  CARD: 'Card without readable lines',
  PAGE: 'Passport page without readable lines',
  UNKNOWN: 'Unknown',
};

function renderResult(r) {
  const container = clear($('#result'));
  const decision = r.decision;
  const described = registerReasons(r.reasons);
  container.dataset.decision = decision || '';

  if (decision === 'accepted') {
    container.append(banner('ok', 'You are signed up',
      `Your document was accepted and your face is registered for ${r.externalId ?? identifier}. ` +
      'From now on you can sign in with a selfie.'));
  } else if (decision === 'existing_user') {
    // never show whose face it matched: that would tell a stranger with your photo your identifier
    container.append(banner('warn', 'You are already registered',
      'This face is already registered under another identifier. Sign in with the identifier you used then.'));
  } else {
    container.append(banner('bad', 'We could not sign you up',
      'See below what went wrong, then try again with another photo of your document.'));
  }
  if (described.length) {
    container.append(h('h3', {}, decision === 'accepted' ? 'Good to know' : 'Why'), reasonList(described));
  }

  const policy = r.policy || {};
  container.append(h('h3', {}, 'Scores'), h('div', { class: 'gauges' },
    gauge({
      metric: 'documentConfidence',
      label: 'Document confidence',
      value: r.documentConfidence,
      threshold: policy.minDocumentConfidence,
      higherIsBetter: true,
      passText: 'Looks like a genuine document',
      failText: 'Not sure it is a document',
      note: 'How sure we are that this is an ID document.',
    }),
    gauge({
      metric: 'existingSearchConfidence',
      label: 'Similarity to faces already registered',
      value: r.existingSearchConfidence,
      threshold: policy.maxExistingSearchConfidence,
      higherIsBetter: false,
      passText: 'A new face',
      failText: 'Already registered',
      note: 'How closely the portrait matches someone already registered.',
    }),
  ));

  container.append(renderDocument(r.document));
  $('#result-signin').hidden = decision !== 'accepted' && decision !== 'existing_user';
  // another photo of the document helps only when this one was refused
  $('#result-retry').hidden = decision !== 'rejected';
  $('#result-retry').classList.toggle('secondary', decision !== 'rejected');
}

function renderDocument(doc) {
  const section = h('div', { id: 'document-fields' }, h('h3', {}, 'Your document'));
  if (!doc) {
    section.append(h('p', { class: 'muted' }, 'No document was found in the picture.'));
    return section;
  }
  const overview = h('dl', { class: 'fields' },
    h('dt', {}, 'Kind'), h('dd', { 'data-field': 'format' }, FORMAT_NAMES[doc.format] || doc.format || 'Unknown'));
  if (typeof doc.expired === 'boolean') {
    overview.append(h('dt', {}, 'Validity'), h('dd', { 'data-field': 'expired' }, doc.expired ? 'Expired' : 'Valid'));
  }
  section.append(overview);

  const mrz = doc.mrz;
  if (!mrz) {
    section.append(h('p', { class: 'muted' }, 'We could not read the machine-readable lines of this document.'));
    return section;
  }
  const fields = mrz.fields || {};
  const list = h('dl', { class: 'fields', 'aria-label': 'Fields read from the machine-readable lines' });
  for (const [key, label] of FIELD_LABELS) {
    if (fields[key] === undefined || fields[key] === null || fields[key] === '') continue;
    list.append(h('dt', {}, label), h('dd', { 'data-field': key }, formatField(key, fields[key])));
  }
  list.append(h('dt', {}, 'Check digits'),
    h('dd', { 'data-field': 'checkDigitsValid' }, mrz.checkDigitsValid ? 'All correct' : 'Do not add up'));
  section.append(h('p', { class: 'muted small' }, 'Read from the machine-readable lines:'), list);
  if (Array.isArray(mrz.lines) && mrz.lines.length) {
    section.append(h('pre', { class: 'mrz-lines', 'aria-label': 'Machine-readable lines' }, mrz.lines.join('\n')));
  }
  return section;
}

function formatField(key, value) {
  if (key === 'sex') return { F: 'Female', M: 'Male', X: 'Unspecified', '<': 'Unspecified' }[value] || value;
  if ((key === 'birthDate' || key === 'expiryDate') && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    return `${date.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })}`;
  }
  return String(value);
}

