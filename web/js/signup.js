// /signup: identifier -> document photo -> POST /v1/register on the demo collection -> the outcome and
// what to do next. The demo session's answer is the public result (docs/api-v1.md): accepted, retry
// with advice about the photo, or other_method. The page shows no score and nothing that says whether
// an identifier or a face is already registered: other_method reads the same whatever the cause.
import { ApiError, demoPost, demoSession, describeError, sessionCapture } from './api.js';
import { enterSessionMode, renderSessionEnd, sessionAfterError } from './hosted.js';
import { documentAdvice, publicOutcome } from './reasons.js';
import {
  Progress, banner, checkField, clear, fitImage, h, identifierError, lastIdentifier, reasonList, showStep,
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

// a verification session's hosted page (/s/{id}): the application chose the identifier
const session = enterSessionMode();
if (session) {
  showStep(steps, sections, 1);
} else {
  identifierInput.value = lastIdentifier.get();
  // start the demo session early: the first register does not wait for it
  demoSession().catch(() => {});
}

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
    if (!session) form.set('externalId', identifier);
    form.set('document', file, file.name || 'document.jpg');
    const options = {
      onUploadProgress: (fraction) => {
        if (fraction !== null && fraction >= 1) progress.working('Checking your document: reading it and looking for your face…');
        else progress.upload(fraction, 'Sending your document');
      },
    };
    const result = session ? await sessionCapture(session, form, options) : await demoPost('/v1/register', form, options);
    progress.stop();
    renderResult(result);
    if (session) renderSessionEnd($('#result'), result, [$('#result-retry')]);
    showStep(steps, sections, 2);
  } catch (error) {
    progress.stop();
    if (!(error instanceof ApiError)) console.error(error);
    if (session && await sessionAfterError(session, $('#result'), [$('#result-retry')])) {
      showStep(steps, sections, 2);
      return;
    }
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

function renderResult(r) {
  const container = clear($('#result'));
  const { outcome, advice } = publicOutcome(r);
  container.dataset.decision = outcome === 'accepted' ? 'accepted' : 'rejected';
  container.dataset.outcome = outcome;
  const signin = $('#result-signin');
  const retry = $('#result-retry');

  if (outcome === 'accepted') {
    container.append(banner('ok', 'You are signed up', session ? 'Your document was accepted.'
      : `Your document was accepted. From now on you can sign in as ${identifier} with a selfie.`));
  } else if (outcome === 'retry') {
    container.append(banner('warn', 'Please take another photo of your document',
      'We could not check your document in this photo. What to change:'),
    reasonList(documentAdvice(advice)));
  } else {
    // one wording whatever the cause: it must not tell anyone whether this identifier or this face is
    // already registered
    container.append(banner('bad', 'We could not complete sign-up with this document',
      'Please use another way to sign up. If you have signed up before, sign in instead.'));
  }
  signin.hidden = outcome === 'retry' || Boolean(session);
  signin.textContent = outcome === 'accepted' ? 'Sign in now' : 'Sign in instead';
  signin.classList.toggle('secondary', outcome !== 'accepted');
  // another photo of the document helps only when this one could not be checked
  retry.hidden = outcome !== 'retry';
  retry.classList.toggle('secondary', outcome !== 'retry');
}
