// /signin: identifier -> live camera with an oval guide -> JPEG of one frame -> POST /v1/verify on the
// demo collection -> the outcome and what to do next. The demo session's answer is the public result
// (docs/api-v1.md): accepted, retry with advice about the photo, or other_method. The page shows no
// score and never whether the identifier is registered: other_method reads the same whatever the cause.
import { ApiError, demoPost, demoSession, describeError, sessionCapture } from './api.js';
import { enterSessionMode, renderSessionEnd, sessionAfterError } from './hosted.js';
import { publicOutcome, selfieAdvice } from './reasons.js';
import {
  Progress, banner, checkField, clear, identifierError, lastIdentifier, photoErrorText, preparePhoto, reasonList,
  showStep, signupRefused,
} from './ui.js';

const $ = (selector) => document.querySelector(selector);

const steps = $('.steps');
const sections = [$('#step-identifier'), $('#step-photo'), $('#step-result')];
const identifierInput = $('#identifier');
const cameraBox = $('#camera');
const video = $('#camera-preview');
const snapshot = $('#snapshot');
const cameraMessage = $('#camera-message');
const captureButton = $('#capture');
const fallback = $('#camera-fallback');
const selfieInput = $('#selfie-file');
const errorBox = $('#photo-error');
const progress = new Progress($('#verify-progress'));

let identifier = '';
let stream = null;
let snapshotUrl = null;
let busy = false;

// a verification session's hosted page (/s/{id}): the application chose the identifier
const session = enterSessionMode();
if (session) {
  showStep(steps, sections, 1);
  startCamera();
} else {
  identifierInput.value = lastIdentifier.get();
  demoSession().catch(() => {});
}

$('#identifier-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = identifierInput.value.trim();
  if (!checkField(identifierInput, $('#identifier-error'), identifierError(value))) return;
  identifier = value;
  document.querySelectorAll('[data-identifier]').forEach((e) => { e.textContent = value; });
  showStep(steps, sections, 1);
  startCamera();
});

$('#photo-back').addEventListener('click', () => {
  stopCamera();
  showStep(steps, sections, 0);
});

$('#result-retry').addEventListener('click', () => {
  showStep(steps, sections, 1);
  startCamera();
});

$('#result-restart').addEventListener('click', () => showStep(steps, sections, 0));

// the camera light goes off when the person leaves the page
window.addEventListener('pagehide', stopCamera);

// ---- camera ----

async function startCamera({ keepError = false } = {}) {
  if (!keepError) hideError();
  showSnapshot(null);
  captureButton.disabled = true;
  setCameraMessage('Starting the camera…');
  // getUserMedia exists only in a secure context (https, or localhost)
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    useFallback('Your browser cannot show a live camera on this page.');
    return;
  }
  stopCamera();
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 960 } },
      audio: false,
    });
  } catch (error) {
    useFallback(cameraErrorText(error));
    return;
  }
  video.srcObject = stream;
  try {
    await video.play();
  } catch {
    // autoplay refused: the preview may stay still, the frame grab below still works once data is there
  }
  if (video.readyState < 2) await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
  if (!stream) return; // stopped meanwhile
  cameraBox.classList.remove('unavailable');
  fallback.hidden = true;
  captureButton.hidden = false;
  setCameraMessage('');
  captureButton.disabled = false;
  captureButton.dataset.ready = 'true';
}

function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  delete captureButton.dataset.ready;
}

function cameraErrorText(error) {
  switch (error && error.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was refused. Allow the camera for this site in your browser settings, or take a selfie with the button below.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found.';
    case 'NotReadableError':
      return 'The camera is in use by another app. Close it, or take a selfie with the button below.';
    default:
      return 'The camera could not be started.';
  }
}

// no live camera: the camera area gives way to the message (no oval drawn under it) and the file input
function useFallback(message) {
  cameraBox.classList.add('unavailable');
  setCameraMessage(message);
  fallback.hidden = false;
  captureButton.hidden = true;
}

function setCameraMessage(text) {
  cameraMessage.textContent = text;
  cameraMessage.hidden = !text;
}

function showSnapshot(blob, { mirrored = true } = {}) {
  if (snapshotUrl) URL.revokeObjectURL(snapshotUrl);
  snapshotUrl = blob ? URL.createObjectURL(blob) : null;
  if (blob) snapshot.src = snapshotUrl;
  else snapshot.removeAttribute('src');
  snapshot.classList.toggle('mirrored', mirrored);
  snapshot.hidden = !blob;
  video.hidden = Boolean(blob);
  cameraBox.classList.toggle('has-snapshot', Boolean(blob));
}

// one frame of the preview as it comes from the camera (not mirrored), as a JPEG
function grabFrame() {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no frame'))), 'image/jpeg', 0.92);
  });
}

captureButton.addEventListener('click', async () => {
  if (busy || !stream || !video.videoWidth) return;
  const blob = await grabFrame();
  stopCamera();
  showSnapshot(blob);
  await verify(blob);
});

selfieInput.addEventListener('change', async () => {
  const file = selfieInput.files && selfieInput.files[0];
  if (!file || busy) return;
  hideError();
  let photo;
  try {
    // decoded here first: a file that is no photo gets a message, one too large is made smaller
    photo = (await preparePhoto(file)).file;
  } catch (error) {
    showSnapshot(null);
    showError(photoErrorText(error, 'of your face'));
    selfieInput.value = '';
    return;
  }
  showSnapshot(photo, { mirrored: false });
  setCameraMessage('');
  await verify(photo);
  selfieInput.value = '';
});

// ---- verify ----

async function verify(photo) {
  busy = true;
  hideError();
  captureButton.disabled = true;
  $('#photo-back').disabled = true;
  selfieInput.disabled = true;
  sections[1].setAttribute('aria-busy', 'true');
  progress.start('Sending your photo…');
  try {
    const form = new FormData();
    if (!session) form.set('externalId', identifier);
    form.set('selfie', photo, 'selfie.jpg');
    const options = {
      onUploadProgress: (fraction) => {
        if (fraction !== null && fraction >= 1) progress.working('Checking that it is you…');
        else progress.upload(fraction, 'Sending your photo');
      },
    };
    const result = session ? await sessionCapture(session, form, options) : await demoPost('/v1/verify', form, options);
    progress.stop();
    renderResult(result);
    if (session) {
      stopCamera();
      renderSessionEnd($('#result'), result, [$('#result-retry')]);
    }
    showStep(steps, sections, 2);
  } catch (error) {
    progress.stop();
    if (!(error instanceof ApiError)) console.error(error);
    if (session && await sessionAfterError(session, $('#result'), [$('#result-retry')])) {
      stopCamera();
      showStep(steps, sections, 2);
      return;
    }
    if (error instanceof ApiError && error.type === 'ResourceNotFoundException') {
      // nobody has signed up on this server yet: the same screen as an unknown identifier, which it is
      renderResult({ decision: 'rejected', outcome: 'other_method', advice: [] });
      showStep(steps, sections, 2);
      return;
    }
    showError(describeError(error));
    // let them take another photo straight away
    if (fallback.hidden) startCamera({ keepError: true });
  } finally {
    busy = false;
    $('#photo-back').disabled = false;
    selfieInput.disabled = false;
    sections[1].setAttribute('aria-busy', 'false');
  }
}

function showError(message) {
  if (!message) return;
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function hideError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

// ---- result ----

function renderResult(r) {
  const container = clear($('#result'));
  const { outcome, advice } = publicOutcome(r);
  container.dataset.decision = outcome === 'accepted' ? 'accepted' : 'rejected';
  container.dataset.outcome = outcome;
  if (!session) {
    // only an accepted identifier is offered again; a refused one is forgotten
    if (outcome === 'accepted') lastIdentifier.set(identifier);
    else if (outcome === 'other_method') lastIdentifier.clear();
  }

  if (outcome === 'accepted') {
    container.append(banner('ok', 'Welcome back', session ? 'It is you: you are signed in.'
      : `It is you, ${identifier}: you are signed in.`));
  } else if (outcome === 'retry') {
    container.append(banner('warn', 'Please try again', 'We could not check your photo. What to change:'),
      reasonList(selfieAdvice(advice)));
  } else {
    // one wording whatever the cause: it must not tell anyone whether this identifier is registered, or
    // whose face this is
    // (after a sign-up refused in this tab, no suggestion to sign up: it would send the person round)
    container.append(banner('bad', 'We could not sign you in this way', !session && signupRefused.get()
      ? 'Please use another way to sign in.'
      : 'Please use another way to sign in. If you have not signed up yet, sign up first.'));
  }
  // after a sign-up refused in this tab, no way back to it: the two refusals would send the person round
  $('#result-signup').hidden = outcome !== 'other_method' || Boolean(session) || signupRefused.get();
  const retry = $('#result-retry');
  retry.textContent = outcome === 'accepted' ? 'Sign in again' : 'Try again';
  retry.classList.toggle('secondary', outcome !== 'retry');
}
