// /signup: identifier -> document photo -> POST /v1/register on the demo collection -> the outcome and
// what to do next. The demo session's answer is the public result (docs/api-v1.md): accepted, retry
// with advice about the photo, or other_method. The page shows no score and nothing that says whether
// an identifier or a face is already registered: other_method reads the same whatever the cause.
import { ApiError, demoPost, demoSession, describeError, sessionCapture } from './api.js';
import { enterSessionMode, renderSessionEnd, sessionAfterError } from './hosted.js';
import { documentAdvice, publicOutcome } from './reasons.js';
import {
  Progress, banner, checkField, clear, identifierError, lastIdentifier, photoErrorText, preparePhoto, reasonList,
  showStep, signupRefused,
} from './ui.js';

const $ = (selector) => document.querySelector(selector);

const steps = $('.steps');
const sections = [$('#step-identifier'), $('#step-document'), $('#step-result')];
const identifierInput = $('#identifier');
const fileInput = $('#document-file');
const preparing = $('#document-preparing');
const preview = $('#document-preview');
const fileName = $('#document-name');
const errorBox = $('#document-error');
const progress = new Progress($('#register-progress'));
const submitButton = $('#document-submit');

let identifier = '';
let documentFile = null; // the photo as it will be sent (decoded here, made smaller when needed)
let preparation = null; // the photo being read, a promise of documentFile
let choice = 0; // the latest choice: an older one still being read is dropped
let previewUrl = null;

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
  document.querySelectorAll('[data-identifier]').forEach((e) => { e.textContent = value; });
  showStep(steps, sections, 1);
});

$('#document-back').addEventListener('click', () => showStep(steps, sections, 0));

// one file input: on a phone it offers the camera and the photo library both (a second input with
// `capture` would look the same and only skip the library)
fileInput.addEventListener('change', () => {
  const file = fileInput.files && fileInput.files[0];
  if (file) preparation = chooseFile(file);
});

// the photo is decoded here before anything is shown or sent: a file that is no photo (or one this
// browser cannot decode) gets a message and no preview; one too large in bytes or pixels is made smaller
async function chooseFile(file) {
  const mine = ++choice;
  hideError();
  clearPreview();
  preparing.hidden = false;
  submitButton.disabled = true;
  try {
    const prepared = await preparePhoto(file);
    if (mine !== choice) return null;
    documentFile = prepared.file;
    previewUrl = URL.createObjectURL(prepared.file);
    preview.src = previewUrl;
    preview.hidden = false;
    preview.dataset.width = String(prepared.width);
    preview.dataset.height = String(prepared.height);
    fileName.textContent = prepared.resized ? `${file.name} (made smaller to send)` : file.name;
    fileName.hidden = false;
    return documentFile;
  } catch (error) {
    if (mine !== choice) return null;
    showError(photoErrorText(error, 'of your document'));
    fileInput.value = '';
    return null;
  } finally {
    if (mine === choice) {
      preparing.hidden = true;
      submitButton.disabled = false;
    }
  }
}

function clearPreview() {
  documentFile = null;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  preview.hidden = true;
  preview.removeAttribute('src');
  delete preview.dataset.width;
  delete preview.dataset.height;
  fileName.hidden = true;
  fileName.textContent = '';
}

$('#document-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (preparation) await preparation;
  if (!documentFile) {
    if (errorBox.hidden) showError('Choose a photo of your document first.');
    fileInput.focus();
    return;
  }
  hideError();
  setBusy(true);
  progress.start('Sending your document…');
  try {
    const file = documentFile;
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
  clearPreview();
  fileInput.value = '';
  identifierInput.value = lastIdentifier.get();
  showStep(steps, sections, 0);
});

function setBusy(busy) {
  submitButton.disabled = busy;
  $('#document-back').disabled = busy;
  fileInput.disabled = busy;
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
  if (!session) {
    // only an accepted identifier is offered on /signin; a refused one is forgotten, and /signin will
    // not send the person back here for another refusal
    if (outcome === 'accepted') lastIdentifier.set(identifier);
    else if (outcome === 'other_method') lastIdentifier.clear();
    if (outcome !== 'retry') signupRefused.set(outcome === 'other_method');
  }

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
