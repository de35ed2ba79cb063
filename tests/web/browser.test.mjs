// facegate's pages in a real browser (Debian's chromium, driven by playwright-core), against a real
// `facegate serve` on loopback: sign-up with a generated ID document, sign-in with the fake camera
// showing another photo of the same person and then someone else, a second sign-up with the same face,
// and the console listing and erasing the user. The public pages get the public result (outcome and
// advice, docs/api-v1.md) and must show no number from the server and the same wording whatever the
// cause of an `other_method`; the console still shows the scores. Screenshots of every step go to
// FACEGATE_SCREENSHOT_DIR.
//
//   FACEGATE_BIN=build/bin/facegate MAKE_ID_DOCUMENT_BIN=build/bin/make_id_document node --test tests/web/browser.test.mjs
//
// Environment: FACEGATE_BIN and MAKE_ID_DOCUMENT_BIN (required), FACEGATE_SAMPLES_DIR (default
// testdata/samples), FACEGATE_SCREENSHOT_DIR (default BUILD/tests/web/screenshots, BUILD being
// FACEGATE_BUILD_DIR or the directory above FACEGATE_BIN's bin/), FACEGATE_CHROMIUM (default
// /usr/bin/chromium), FACEGATE_REQUIRE_BROWSER=1 (fail, rather than skip, when something is missing).
//
// The last part serves the pages over HTTPS (--tls-cert/--tls-key, a CA and certificate made by the openssl
// command line) to a chromium that trusts the certificate by its public key (--ignore-certificate-errors-spki-list).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const CHROMIUM = env.FACEGATE_CHROMIUM || '/usr/bin/chromium';
const FACEGATE_BIN = env.FACEGATE_BIN || '';
const MAKE_ID_DOCUMENT_BIN = env.MAKE_ID_DOCUMENT_BIN || '';
const SAMPLES = env.FACEGATE_SAMPLES_DIR || path.join(here, '..', '..', 'testdata', 'samples');
const BUILD_DIR = env.FACEGATE_BUILD_DIR || (FACEGATE_BIN ? path.dirname(path.dirname(path.resolve(FACEGATE_BIN))) : '');
const SCREENSHOTS = env.FACEGATE_SCREENSHOT_DIR || (BUILD_DIR ? path.join(BUILD_DIR, 'tests', 'web', 'screenshots') : '');

// the people of the sample photos (testdata/samples, checked by eye; see tests/compat/README.md):
// the largest face of sample1 (the woman on the right) and of sample3 (the woman in the middle) are the
// same woman; sample5's woman on the right is someone else. Crops (ffmpeg crop=W:H:X:Y) keep one face each.
const FACES = {
  ana_document: { sample: 'sample3.jpg', crop: '520:700:940:40' },
  ana_camera: { sample: 'sample1.jpg', crop: '600:800:1250:0' },
  other_camera: { sample: 'sample5.jpg', crop: '500:700:1330:200' },
};

const ANA = 'ana.müller+web@example.com'; // not ASCII, with '+' and '@': exercises the external ID encoding
const ANA_AGAIN = 'ana.second@example.com';
const NOBODY = 'nobody.here2024@example.com'; // never registered; its digits are the person's own
const NOT_A_DOCUMENT = 'not.a.document@example.com';
const LARGE_PHOTO = 'large.photo@example.com';
// the one wording of each page for `other_method`, whatever the cause
const SIGNUP_OTHER_METHOD = 'We could not complete sign-up with this document';
const SIGNIN_OTHER_METHOD = 'We could not sign you in this way';
const DEMO = 'demo';

function whatIsMissing() {
  const missing = [];
  // playwright-core 1.65 needs node 20 (Debian 12's own nodejs is 18)
  if (Number(process.versions.node.split('.')[0]) < 20) missing.push(`node 20 or newer (this is ${process.version})`);
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core', 'package.json'))) {
    missing.push('tests/web/node_modules (npm ci in tests/web)');
  }
  if (!FACEGATE_BIN || !fs.existsSync(FACEGATE_BIN)) missing.push(`FACEGATE_BIN (${FACEGATE_BIN || 'unset'})`);
  if (!MAKE_ID_DOCUMENT_BIN || !fs.existsSync(MAKE_ID_DOCUMENT_BIN)) {
    missing.push(`MAKE_ID_DOCUMENT_BIN (${MAKE_ID_DOCUMENT_BIN || 'unset'})`);
  }
  for (const { sample } of Object.values(FACES)) {
    if (!fs.existsSync(path.join(SAMPLES, sample))) missing.push(`${path.join(SAMPLES, sample)} (scripts/setup.sh fetches it)`);
  }
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  } catch {
    missing.push('ffmpeg (apt-get install ffmpeg)');
  }
  return [...new Set(missing)];
}

const missing = whatIsMissing();
if (missing.length && env.FACEGATE_REQUIRE_BROWSER === '1') {
  throw new Error(`the browser tests cannot run: missing ${missing.join(', ')}`);
}

// ---- fixtures: face crops, the fake camera's y4m files, ID documents ----

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function cropFace(name, work) {
  const { sample, crop } = FACES[name];
  const out = path.join(work, `${name}.jpg`);
  ffmpeg(['-i', path.join(SAMPLES, sample), '-vf', `crop=${crop}`, '-q:v', '2', out]);
  return out;
}

// a valid PNG of width x height black pixels (1-bit grayscale), deflated a row at a time: a 900-megapixel
// image in about 100 KB
function pngOfBlackPixels(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // grayscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0, black pixels
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// the fake camera plays this file in a loop (fixed per browser launch)
function cameraFile(photo, work) {
  const out = path.join(work, `${path.basename(photo, '.jpg')}.y4m`);
  ffmpeg(['-loop', '1', '-i', photo, '-vf',
    'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
    '-t', '2', '-r', '15', out]);
  return out;
}

function makeDocument(photo, work, seed, fields) {
  const out = path.join(work, `document-${seed}.jpg`);
  const args = ['--photo', photo, '--type', 'td3', '--out', out, '--seed', String(seed)];
  for (const [option, value] of Object.entries(fields)) args.push(`--${option}`, value);
  const printed = execFileSync(MAKE_ID_DOCUMENT_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { file: out, ...JSON.parse(printed) };
}

// ---- the server ----

function startServer(dataDir, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(FACEGATE_BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0', ...extraArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`facegate serve did not start within 180 s:\n${log}`));
    }, 180000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const match = log.match(/facegate: listening on (https?:\/\/\S+)/);
      if (match && timer) {
        clearTimeout(timer);
        resolve({ child, url: match[1], log: () => log });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`facegate serve exited (${code}):\n${log}`));
    });
  });
}

async function stopServer(server) {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timeout = setTimeout(() => server.child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timeout);
}

// ---- the browser ----

let playwright;

// camera: the y4m the fake camera plays (none: chromium's own test pattern; false: no camera at all, as on a
// machine without one: getUserMedia answers NotFoundError)
async function launch(camera, extraArgs = []) {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
      ...(camera === false ? [] : ['--use-fake-device-for-media-stream']),
      ...(camera ? [`--use-file-for-fake-video-capture=${camera}`] : []), '--disable-background-networking',
      '--disable-component-update', '--no-first-run', ...extraArgs],
  });
}

// a page that remembers what went wrong in it: script errors and console errors (CSP violations among them)
async function openPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  page.setDefaultTimeout(30000);
  return page;
}

async function closePage(page) {
  const problems = page.problems;
  await page.context().close();
  assert.deepEqual(problems, [], 'errors in the page');
}

let shotNumber = 0;
async function screenshot(page, name) {
  shotNumber += 1;
  const file = path.join(SCREENSHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// the flows' long step: the server reads the document or the selfie (models on 2 cores)
const RESULT_TIMEOUT = 120000;

async function resultOf(page) {
  const result = page.locator('#result[data-outcome]');
  await result.waitFor({ timeout: RESULT_TIMEOUT });
  await page.locator('#step-result').waitFor({ state: 'visible' });
  return {
    decision: await result.getAttribute('data-decision'),
    outcome: await result.getAttribute('data-outcome'),
    title: (await page.locator('[data-result-title]').innerText()).trim(),
    advice: await page.locator('#result [data-reason]').evaluateAll((items) => items.map((li) => li.dataset.reason)),
    text: await result.innerText(),
    // the whole result step as the person sees it: the result and its buttons
    visible: (await page.locator('#step-result').innerText()).trim(),
  };
}

// every advice code the server gave is in plain words (reasons.js shows general advice, marked UNKNOWN,
// for a code it does not know)
function assertPlainAdvice(result) {
  assert.ok(!result.advice.includes('UNKNOWN'), `advice without plain words: ${result.text}`);
}

// the result shows no number from the server: no digit other than those of the identifier the person
// typed, and no '%'
function assertNoServerNumbers(result, identifier) {
  const text = result.visible.split(identifier).join(' ');
  assert.ok(!/[0-9%]/.test(text), `a number on a public page: ${JSON.stringify(result.visible)}`);
}

// the demo session's answer is the public result and nothing else (docs/api-v1.md)
const PUBLIC_KEYS = ['advice', 'decision', 'outcome'];
async function publicAnswer(responsePromise) {
  const response = await responsePromise;
  assert.equal(response.status(), 200, `${response.url()}: ${response.status()}`);
  const body = await response.json();
  assert.deepEqual(Object.keys(body).sort(), PUBLIC_KEYS, `not the public result: ${JSON.stringify(body)}`);
  return body;
}

// how far the page scrolls sideways (0 or less: it fits the window)
function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// the elements that stick out of the window on the right (outside a frame that scrolls), for the messages
function stickingOut(page) {
  return page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => {
    if (e.getBoundingClientRect().right <= window.innerWidth + 1 || !e.getClientRects().length) return false;
    // a frame that scrolls clips what is inside, except what is positioned out of it
    if (['absolute', 'fixed'].includes(getComputedStyle(e).position)) return true;
    for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return false;
    return true;
  }).slice(0, 8).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')}`
    + ` (${Math.round(e.getBoundingClientRect().right)}px)`));
}

// the width and height in a JPEG's frame header, from `at` (its SOI) in `bytes`
function jpegSize(bytes, at = 0) {
  assert.ok(bytes[at] === 0xff && bytes[at + 1] === 0xd8, 'not a JPEG');
  let i = at + 2;
  while (i + 9 < bytes.length) {
    assert.equal(bytes[i], 0xff, 'a damaged JPEG');
    const marker = bytes[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
    }
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  throw new Error('no frame header in the JPEG');
}

// the admin key command the console shows (web/admin.html), as argv with the data directory put in
function consoleKeyCommand(dataDir) {
  const html = fs.readFileSync(path.join(here, '..', '..', 'web', 'admin.html'), 'utf8');
  const shown = html.match(/<pre class="command" id="key-command"><code>([^<]*)<\/code><\/pre>/);
  assert.ok(shown, 'no key command in web/admin.html');
  const argv = shown[1].trim().split(/\s+/);
  assert.equal(argv[0], 'facegate');
  assert.ok(argv.includes('--data') && argv.includes('DIR'), `the command names no data directory: ${shown[1]}`);
  return { text: shown[1].trim(), args: argv.slice(1).map((a) => (a === 'DIR' ? dataDir : a)) };
}

async function signUp(page, base, identifier, documentFile, shotName) {
  const response = await page.goto(`${base}/signup`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'] || '', /^default-src 'self'/);
  await page.getByLabel('E-mail, phone number or username').fill(identifier);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Upload your ID document' }).waitFor();
  await page.getByLabel('Choose a photo of your document').setInputFiles(documentFile);
  await page.locator('#document-preview').waitFor({ state: 'visible' });
  if (shotName) await screenshot(page, shotName);
  const answer = page.waitForResponse((r) => r.url().endsWith('/v1/register') && r.request().method() === 'POST',
    { timeout: RESULT_TIMEOUT });
  await page.getByRole('button', { name: 'Check my document' }).click();
  const result = await resultOf(page);
  result.answer = await publicAnswer(answer);
  assertPlainAdvice(result);
  assertNoServerNumbers(result, identifier);
  return result;
}

async function signIn(page, base, identifier, shotName, { navigate = true } = {}) {
  if (navigate) await page.goto(`${base}/signin`);
  await page.getByLabel('E-mail, phone number or username').fill(identifier);
  await page.getByRole('button', { name: 'Continue' }).click();
  // the fake camera is live once the button is enabled (a frame has arrived)
  await page.locator('#capture[data-ready]').waitFor();
  await page.waitForFunction(() => document.querySelector('#camera-preview').videoWidth > 0);
  if (shotName) await screenshot(page, shotName);
  const answer = page.waitForResponse((r) => r.url().endsWith('/v1/verify') && r.request().method() === 'POST',
    { timeout: RESULT_TIMEOUT });
  await page.getByRole('button', { name: 'Take photo' }).click();
  const result = await resultOf(page);
  result.answer = await publicAnswer(answer);
  assertPlainAdvice(result);
  assertNoServerNumbers(result, identifier);
  return result;
}

// ---- the advice codes: no browser needed ----

test('every advice code has plain words on both pages; the identity reasons have none', async () => {
  const root = path.join(here, '..', '..');
  const docs = fs.readFileSync(path.join(root, 'docs', 'api-v1.md'), 'utf8');
  const codes = (heading) => {
    const start = docs.indexOf(heading);
    assert.ok(start >= 0, `no "${heading}" in docs/api-v1.md`);
    const paragraph = docs.slice(start, docs.indexOf('\n\n', start));
    return [...paragraph.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]);
  };
  const reasons = await import('../../web/js/reasons.js');
  const { KNOWN_DOCUMENT_ADVICE, KNOWN_SELFIE_ADVICE, documentAdvice, selfieAdvice, publicOutcome } = reasons;
  const advice = codes('Advice codes:');
  assert.ok(advice.length >= 15, `advice codes read: ${advice}`);
  // the server's list of the codes it lets through to the demo session is the documented one
  const source = fs.readFileSync(path.join(root, 'src', 'protocol', 'flow_json.cpp'), 'utf8');
  const list = source.match(/kCaptureReasons\[\]\s*=\s*\{([^}]*)\}/);
  assert.ok(list, 'no kCaptureReasons in src/protocol/flow_json.cpp');
  assert.deepEqual([...list[1].matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]).sort(), [...advice].sort(),
    'the advice codes of docs/api-v1.md and of the server differ');
  for (const [page, known] of [['/signup', KNOWN_DOCUMENT_ADVICE], ['/signin', KNOWN_SELFIE_ADVICE]]) {
    assert.deepEqual(advice.filter((c) => !known.includes(c)), [], `advice codes without words on ${page}`);
    assert.deepEqual(known.filter((c) => !advice.includes(c)), [], `words on ${page} for codes the server never sends`);
  }
  // the reasons about identities never reach the pages, and the pages have no words for them
  const identity = [...codes('Register reasons:'), ...codes('Verify reasons:')].filter((c) => !advice.includes(c));
  assert.ok(['UNKNOWN_EXTERNAL_ID', 'BETTER_MATCH_OTHER_USER', 'DUPLICATE_FACE', 'LOW_CONFIDENCE']
    .every((c) => identity.includes(c)), `identity reasons read: ${identity}`);
  for (const code of identity) {
    assert.equal(documentAdvice([code])[0].code, 'UNKNOWN', `/signup has words for ${code}`);
    assert.equal(selfieAdvice([code])[0].code, 'UNKNOWN', `/signin has words for ${code}`);
  }
  // the result area shows no number: none in the words either
  for (const item of [...documentAdvice(advice), ...selfieAdvice(advice), ...documentAdvice(['X'])]) {
    assert.ok(!/[0-9%]/.test(item.text + item.advice), `a number in the words of ${item.code}: ${item.text} ${item.advice}`);
  }
  assert.match(selfieAdvice(['TOO_DARK'])[0].advice, /more light/);
  assert.match(selfieAdvice(['EXTREME_POSE'])[0].advice, /Look straight at the camera/);
  assert.match(selfieAdvice(['MULTIPLE_FACES'])[0].advice, /only one face/);
  assert.match(documentAdvice(['NO_DOCUMENT'])[0].advice, /photograph all of it/);
  // the specific quality reason replaces the generic one; two codes saying the same are one line
  assert.deepEqual(selfieAdvice(['LOW_QUALITY', 'BLURRY']).map((r) => r.code), ['BLURRY']);
  assert.deepEqual(selfieAdvice(['TOO_DARK', 'LOW_BRIGHTNESS']).map((r) => r.code), ['TOO_DARK']);
  // the outcome: from the server, or read from the decision and the advice; never from other fields
  assert.deepEqual(publicOutcome({ decision: 'rejected', outcome: 'retry', advice: ['NOT_LIVE'] }),
    { outcome: 'retry', advice: ['NOT_LIVE'] });
  assert.deepEqual(publicOutcome({ decision: 'rejected', outcome: 'other_method', advice: [] }),
    { outcome: 'other_method', advice: [] });
  assert.deepEqual(publicOutcome({ decision: 'rejected', reasons: ['UNKNOWN_EXTERNAL_ID'], confidence: 12.5 }),
    { outcome: 'other_method', advice: [] });
  assert.deepEqual(publicOutcome({ decision: 'accepted', outcome: 'accepted', advice: ['BLURRY'] }),
    { outcome: 'accepted', advice: [] });
  // the console has words for every reason the server records, identities included, and shows the code beside
  const { KNOWN_CONSOLE_REASONS, consoleReason } = reasons;
  const recorded = [...new Set([...codes('Register reasons:'), ...codes('Verify reasons:'), ...advice])];
  assert.deepEqual(recorded.filter((c) => !KNOWN_CONSOLE_REASONS.includes(c)), [], 'reasons without words in the console');
  for (const code of recorded) assert.ok(!/^[A-Z_]+$/.test(consoleReason(code).text), `${code}: ${consoleReason(code).text}`);
  assert.deepEqual(consoleReason('SOMETHING_NEW'), { code: 'SOMETHING_NEW', text: 'SOMETHING_NEW' });
});

// ---- the scenario ----

describe('facegate in a browser', { skip: missing.length ? `missing ${missing.join(', ')}` : false }, () => {
  let work;
  let server;
  let base;
  let adminKey;
  let documents;
  let faces;
  let cameras;
  let anaBrowser; // camera: another photo of the woman on the document
  let otherBrowser; // camera: someone else

  before(async () => {
    playwright = await import('playwright-core');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-web-'));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    for (const old of fs.readdirSync(SCREENSHOTS)) if (old.endsWith('.png')) fs.rmSync(path.join(SCREENSHOTS, old));

    faces = Object.fromEntries(Object.keys(FACES).map((name) => [name, cropFace(name, work)]));
    // a camera out of focus: something the person can fix
    const blurred = path.join(work, 'ana_blurred.jpg');
    ffmpeg(['-i', faces.ana_camera, '-vf', 'gblur=sigma=14', '-q:v', '2', blurred]);
    cameras = { ana: cameraFile(faces.ana_camera, work), other: cameraFile(faces.other_camera, work),
      blurred: cameraFile(blurred, work) };
    // two passports of the same woman: the second sign-up must find her face already registered
    const person = { surname: 'MULLER', 'given-names': 'ANA', nationality: 'UTO', 'issuing-state': 'UTO',
      birth: '900412', expiry: '341231', sex: 'F' };
    documents = {
      first: makeDocument(faces.ana_document, work, 11, { ...person, number: 'X12345678' }),
      second: makeDocument(faces.ana_document, work, 12, { ...person, 'given-names': 'ANNA', number: 'Y87654321' }),
    };

    const dataDir = path.join(work, 'data');
    fs.mkdirSync(dataDir);
    // the admin key is made with the very command the console shows (a key made for another data
    // directory would be refused)
    const created = execFileSync(FACEGATE_BIN, consoleKeyCommand(dataDir).args,
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    adminKey = JSON.parse(created).apiKey;
    assert.ok(adminKey, `no apiKey in ${created}`);
    // this suite is one client address doing the flows of several people in a minute: more demo sessions
    // than the default per address (the pages keep theirs per tab; every test opens a new browser context)
    // webhooks may POST to this machine's test receiver; a failed POST is retried only when replayed (the
    // automatic retry would come 10 minutes later)
    server = await startServer(dataDir, ['--demo-sessions-per-minute', '100', '--webhook-allow', '127.0.0.1',
      '--webhook-first-retry-ms', '600000']);
    base = server.url;

    anaBrowser = await launch(cameras.ana);
    otherBrowser = await launch(cameras.other);
  });

  after(async () => {
    await anaBrowser?.close();
    await otherBrowser?.close();
    await stopServer(server);
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  test('the start page links to the two flows and the console', async () => {
    const page = await openPage(anaBrowser);
    const response = await page.goto(`${base}/`);
    assert.equal(response.status(), 200);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.ok(headers['cache-control']);
    for (const [name, href] of [['Sign up', '/signup'], ['Sign in', '/signin'], ['Console', '/admin']]) {
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true })
        .getAttribute('href'), href);
    }
    await screenshot(page, 'start-page');
    await closePage(page);
  });

  test('1. sign-up with an ID document: accepted, and nothing but the outcome shown', async () => {
    const page = await openPage(anaBrowser);
    const result = await signUp(page, base, ANA, documents.first.file, 'signup-document-chosen');
    await screenshot(page, 'signup-accepted');
    assert.equal(result.outcome, 'accepted', `sign-up refused: ${result.text}`);
    assert.equal(result.decision, 'accepted');
    assert.equal(result.title, 'You are signed up');
    assert.deepEqual(result.answer.advice, []);
    assert.ok(result.text.includes(ANA), 'the page names the identifier the person typed');
    // no scores and no fields of the document: the public answer has none
    assert.equal(await page.locator('#result .gauge, #result [data-field], #result .mrz-lines').count(), 0);
    assert.ok(await page.locator('#step-result').getByRole('link', { name: 'Sign in now' }).isVisible());
    assert.ok(!(await page.locator('#step-result').getByRole('button', { name: 'Try another photo' }).isVisible()));
    // the identifier just accepted is offered on /signin
    await page.locator('#step-result').getByRole('link', { name: 'Sign in now' }).click();
    await page.waitForURL(`${base}/signin`);
    assert.equal(await page.getByLabel('E-mail, phone number or username').inputValue(), ANA);
    await closePage(page);
  });

  test('2. sign-in with another photo of the same person: accepted', async () => {
    const page = await openPage(anaBrowser);
    const result = await signIn(page, base, ANA, 'signin-camera');
    await screenshot(page, 'signin-accepted');
    assert.equal(result.outcome, 'accepted', `sign-in refused: ${result.text}`);
    assert.equal(result.title, 'Welcome back');
    assert.equal(await page.locator('#result .gauge').count(), 0, 'a score on the sign-in page');
    await closePage(page);
  });

  test("3. sign-in with someone else's face: another way to sign in, no reason given", async () => {
    const page = await openPage(otherBrowser);
    const result = await signIn(page, base, ANA, 'signin-someone-else-camera');
    await screenshot(page, 'signin-someone-else-other-method');
    assert.equal(result.outcome, 'other_method', `outcome: ${result.text}`);
    assert.equal(result.decision, 'rejected');
    assert.equal(result.title, SIGNIN_OTHER_METHOD);
    assert.deepEqual(result.advice, [], 'advice shown for an identity failure');
    assert.ok(!/match|registered under|someone else/i.test(result.text), `the page says why: ${result.text}`);
    assert.ok(await page.locator('#step-result').getByRole('link', { name: 'Sign up' }).isVisible());
    await closePage(page);
  });

  test('sign-in with a blurred camera: try again, with what to change', async () => {
    const blurredBrowser = await launch(cameras.blurred);
    try {
      const page = await openPage(blurredBrowser);
      const result = await signIn(page, base, ANA, 'signin-blurred-camera');
      await screenshot(page, 'signin-blurred-retry');
      assert.equal(result.outcome, 'retry', `outcome: ${result.text}`);
      assert.equal(result.title, 'Please try again');
      assert.ok(result.advice.length > 0, 'no advice shown');
      const { selfieAdvice } = await import('../../web/js/reasons.js');
      for (const item of selfieAdvice(result.answer.advice)) assert.ok(result.text.includes(item.advice), item.code);
      assert.ok(await page.locator('#step-result').getByRole('button', { name: 'Try again' }).isVisible());
      assert.ok(!(await page.locator('#result-signup').isVisible()), 'a retry offers to sign up');
      await closePage(page);
    } finally {
      await blurredBrowser.close();
    }
  });

  test('the same wording whether or not the identifier exists', async () => {
    // the same camera (someone who is not Ana) on an identifier nobody registered, and on Ana's
    const unknown = await openPage(otherBrowser);
    const nobody = await signIn(unknown, base, NOBODY, 'signin-unknown-identifier-camera');
    await screenshot(unknown, 'signin-unknown-identifier-other-method');
    await closePage(unknown);
    const known = await openPage(otherBrowser);
    const someoneElse = await signIn(known, base, ANA);
    await closePage(known);

    assert.equal(nobody.outcome, 'other_method', `unknown identifier: ${nobody.text}`);
    assert.equal(someoneElse.outcome, 'other_method', `registered identifier: ${someoneElse.text}`);
    // what the server answers and what the page shows are the same, word for word
    assert.deepEqual(nobody.answer, someoneElse.answer);
    assert.equal(nobody.visible, someoneElse.visible);
    assert.ok(!nobody.visible.includes(NOBODY) && !someoneElse.visible.includes(ANA), 'the result names the identifier');
  });

  test('4. a second sign-up with the same face under another identifier: another way, no reason given', async () => {
    const page = await openPage(anaBrowser);
    const result = await signUp(page, base, ANA_AGAIN, documents.second.file);
    await screenshot(page, 'signup-same-face-other-method');
    assert.equal(result.outcome, 'other_method', `outcome: ${result.text}`);
    assert.equal(result.title, SIGNUP_OTHER_METHOD);
    assert.deepEqual(result.advice, []);
    // neither whose face it is nor that the face is registered at all
    assert.ok(!result.text.includes(ANA), 'the page shows the other identifier');
    assert.ok(!/already registered/i.test(result.text), `the page says the face is registered: ${result.text}`);
    assert.ok(await page.locator('#step-result').getByRole('link', { name: 'Sign in instead' }).isVisible());

    // the refused identifier is not carried over to /signin (nor kept by the tab), and a refusal there
    // does not send the person back to /signup: no loop between the two refusals
    await page.locator('#step-result').getByRole('link', { name: 'Sign in instead' }).click();
    await page.waitForURL(`${base}/signin`);
    assert.equal(await page.getByLabel('E-mail, phone number or username').inputValue(), '',
      'the refused identifier is filled in on /signin');
    assert.ok(!(await page.evaluate(() => JSON.stringify(sessionStorage))).includes(ANA_AGAIN),
      'the tab keeps the refused identifier');
    const signin = await signIn(page, base, ANA_AGAIN, null, { navigate: false });
    assert.equal(signin.outcome, 'other_method', `outcome: ${signin.text}`);
    assert.equal(signin.title, SIGNIN_OTHER_METHOD);
    assert.ok(!(await page.locator('#result-signup').isVisible()), '/signin sends the person back to /signup');
    assert.equal(await page.locator('#step-result a[href^="/signup"]:visible').count(), 0);
    await screenshot(page, 'signin-after-refused-signup');
    await page.goto(`${base}/signup`);
    assert.equal(await page.getByLabel('E-mail, phone number or username').inputValue(), '',
      'the refused identifier is filled in on /signup');
    await closePage(page);
  });

  test('a photo that is not an ID document: try again, with what to change in plain words', async () => {
    const page = await openPage(anaBrowser);
    const result = await signUp(page, base, NOT_A_DOCUMENT, faces.other_camera);
    await screenshot(page, 'signup-not-a-document-retry');
    assert.equal(result.outcome, 'retry', `outcome: ${result.text}`);
    assert.equal(result.title, 'Please take another photo of your document');
    assert.ok(result.advice.length > 0, 'no advice shown');
    assert.deepEqual(result.advice, result.answer.advice.filter((c) => result.advice.includes(c)));
    assert.ok(result.answer.advice.some((c) => ['NO_DOCUMENT', 'LOW_DOCUMENT_CONFIDENCE'].includes(c)),
      `advice: ${result.answer.advice}`);
    assert.match(result.text, /ID document/);
    // a plain photo is no way to look a face up: the other photo of this woman is not registered, and
    // a sign-up with Ana's face in a plain photo is answered the same way
    const again = await openPage(anaBrowser);
    const anaPlain = await signUp(again, base, NOT_A_DOCUMENT, faces.ana_camera);
    await closePage(again);
    assert.equal(anaPlain.outcome, 'retry', `outcome: ${anaPlain.text}`);
    assert.ok(!anaPlain.answer.advice.includes('DUPLICATE_FACE'));
    assert.ok(await page.locator('#step-result').getByRole('button', { name: 'Try another photo' }).isVisible());
    await closePage(page);
  });

  test('5. the console shows the scores, lists the user and erases them; a sign-in afterwards fails', async () => {
    const page = await openPage(anaBrowser);
    await page.goto(`${base}/admin`);
    // the complete command, with the data directory: the one this suite made its admin key with
    assert.equal((await page.locator('#key-command').innerText()).trim(), consoleKeyCommand('DIR').text);
    assert.match(await page.locator('#key-section').innerText(), /--store URI/);
    await page.getByLabel('Admin API key').fill(adminKey);
    await page.getByRole('button', { name: 'Open the console' }).click();
    const demoRow = page.locator(`#collections-table tr[data-collection="${DEMO}"]`);
    await demoRow.waitFor();
    const cells = await demoRow.locator('td').allInnerTexts();
    assert.ok(Number(cells[1]) >= 1 && Number(cells[2]) >= 1, `demo row: ${cells}`);
    await page.locator('#audit-table').waitFor();
    await page.locator('#policy-body > dl').waitFor();
    await screenshot(page, 'admin-console');
    // the key stays in this tab's sessionStorage only
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.deepEqual((await page.context().cookies()).filter((c) => c.value.includes(adminKey)), []);

    // the audit keeps every score the public pages do not show, one readable column each (no JSON)
    const scores = async (action, decision) => page
      .locator(`#audit-table tbody tr[data-action="${action}"][data-decision="${decision}"]`)
      .evaluateAll((trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td[data-score]')]
        .map((td) => [td.dataset.score, td.innerText.trim()]))));
    const score = /^\d+\.\d$/;
    const headings = await page.locator('#audit-table thead th').allInnerTexts();
    for (const name of ['Document', 'Same face', 'Match', 'Liveness', 'Reasons']) {
      assert.ok(headings.includes(name), `no "${name}" column in the audit: ${headings}`);
    }
    const registered = await scores('register', 'accepted');
    assert.ok(registered.some((t) => score.test(t.documentConfidence) && score.test(t.existingSearchConfidence)),
      `register scores in the audit: ${JSON.stringify(registered)}`);
    const duplicates = await scores('register', 'existing_user');
    assert.ok(duplicates.some((t) => score.test(t.existingSearchConfidence) && Number(t.existingSearchConfidence) > 80),
      `duplicate scores in the audit: ${JSON.stringify(duplicates)}`);
    const verified = await scores('verify', 'accepted');
    assert.ok(verified.some((t) => score.test(t.confidence) && score.test(t.liveness)),
      `verify scores in the audit: ${JSON.stringify(verified)}`);
    const auditText = await page.locator('#audit-table').innerText();
    assert.ok(!/[{}]|":/.test(auditText), `JSON in the audit table: ${auditText}`);
    // the reasons the pages keep to themselves, in plain words with the code beside
    const unknown = page.locator('#audit-table li[data-reason="UNKNOWN_EXTERNAL_ID"]').first();
    assert.match(await unknown.innerText(), /^Identifier not registered\s+UNKNOWN_EXTERNAL_ID$/);
    const duplicateReason = page.locator('#audit-table li[data-reason="DUPLICATE_FACE"]').first();
    assert.match(await duplicateReason.innerText(), /already registered.*DUPLICATE_FACE/);

    // the console fits a laptop's 1280 px without scrolling sideways, its tables included (the audit with all
    // its columns here); on a phone (below) the page still does not, the tables scroll inside their frames
    const tablesOverflow = () => page.locator('.table-wrap').evaluateAll((wraps) => wraps
      .filter((w) => w.offsetParent !== null).map((w) => ({ id: w.querySelector('table')?.id, over: w.scrollWidth - w.clientWidth })));
    const fitsLaptop = async (what) => {
      assert.ok(await sideways(page) <= 0, `${what}: the console scrolls sideways at 1280 px by ${await sideways(page)}px: ${await stickingOut(page)}`);
      for (const t of await tablesOverflow()) assert.ok(t.over <= 1, `${what}: ${t.id} is wider than its frame at 1280 px by ${t.over}px`);
    };
    assert.equal(await page.locator('#audit-table thead th[data-score]').count(), 5, 'the audit shows every score column');
    await fitsLaptop('the whole audit');

    // users by prefix, then the user's faces
    await page.locator('#users-collection').selectOption(DEMO);
    await page.getByLabel('External ID starts with').fill('ana.m');
    await page.getByRole('button', { name: 'Search' }).click();
    const userRow = page.locator('#users-table tbody tr').filter({ hasText: ANA });
    await userRow.waitFor();
    assert.equal(await page.locator('#users-table tbody tr').count(), 1, 'the prefix should match one user');
    // clicking the user opens its faces: its identifier (a button), or anywhere else on its row
    await userRow.getByRole('button', { name: ANA, exact: true }).click();
    await page.locator('#faces-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#user-name').innerText(), ANA);
    await page.getByRole('button', { name: 'Close' }).click();
    assert.ok(await page.locator('#user-detail').isHidden());
    await userRow.locator('td').nth(1).click();
    await page.locator('#faces-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#user-name').innerText(), ANA);
    const facesText = await page.locator('#faces-table').innerText();
    assert.match(facesText, /from the left/);
    assert.match(facesText, /\d+\.\d/, 'no face confidence in the console');
    await screenshot(page, 'admin-user-faces');

    // the audit log filtered: her verifies, with their scores
    await page.locator('#audit-external-id').fill(ANA);
    await page.locator('#audit-action').selectOption('verify');
    await page.locator('#audit-form').getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#audit-table tbody tr')]
      .every((tr) => tr.dataset.action === 'verify'));
    const decisions = await page.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.decision));
    assert.ok(decisions.includes('accepted') && decisions.includes('rejected'), `verify decisions: ${decisions}`);
    const rejected = await scores('verify', 'rejected');
    assert.ok(rejected.length > 0 && rejected.every((t) => score.test(t.confidence)),
      `scores of the refused sign-ins: ${JSON.stringify(rejected)}`);
    await screenshot(page, 'admin-audit-filtered');

    await fitsLaptop('the filtered audit and a user\'s faces');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await sideways(page) <= 0, `the console scrolls sideways on a phone by ${await sideways(page)}px: ${await stickingOut(page)}`);
    const onPhone = await tablesOverflow();
    assert.ok(onPhone.find((t) => t.id === 'audit-table')?.over > 0, `the audit does not scroll in its frame: ${JSON.stringify(onPhone)}`);
    await screenshot(page, 'phone-admin-audit');
    await page.setViewportSize({ width: 1280, height: 900 });

    // erase, through the confirm step
    await page.getByRole('button', { name: 'Erase this user…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase this user?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(ANA.replace(/[.+]/g, '\\$&')));
    await screenshot(page, 'admin-erase-confirm');
    await dialog.getByRole('button', { name: 'Erase', exact: true }).click();
    await page.locator('#console-status.success').waitFor();
    assert.match(await page.locator('#console-status').innerText(), /Erased .*: 1 face deleted/);
    await page.waitForFunction((id) => ![...document.querySelectorAll('#users-table tbody tr')]
      .some((tr) => tr.dataset.externalId === id), ANA);
    await screenshot(page, 'admin-erased');
    await closePage(page);

    // her own face on her erased identifier: the same screen as anyone's on an unknown identifier
    const again = await openPage(anaBrowser);
    const result = await signIn(again, base, ANA);
    await screenshot(again, 'signin-after-erasure-other-method');
    assert.equal(result.outcome, 'other_method', `outcome: ${result.text}`);
    assert.equal(result.title, SIGNIN_OTHER_METHOD);
    await closePage(again);
  });

  test('the pages fit a phone screen and work from the keyboard', async () => {
    const page = await openPage(anaBrowser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
      deviceScaleFactor: 2 });
    let sessionsCreated = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/v1/demo/session')) sessionsCreated += 1; });
    for (const [url, name] of [['/', 'phone-start'], ['/signup', 'phone-signup'], ['/admin', 'phone-console']]) {
      await page.goto(`${base}${url}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px on a phone`);
      await screenshot(page, name);
    }
    // a phone is offered its camera for the document
    await page.goto(`${base}/signup`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.getByLabel('E-mail, phone number or username').focus();
    await page.keyboard.type(ANA_AGAIN);
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'document-heading');
    // one file input for the document: on a phone it offers the camera and the photo library both (with
    // `capture` it would skip the library; a second input would look the same)
    const inputs = page.locator('#step-document input[type="file"]');
    assert.equal(await inputs.count(), 1, 'file inputs on the phone sign-up');
    assert.ok(await inputs.first().isVisible());
    assert.equal(await inputs.first().getAttribute('capture'), null);
    assert.equal(await page.locator('#step-document input[type="file"]:visible').count(), 1);
    await screenshot(page, 'phone-signup-document');

    await page.goto(`${base}/signin`);
    await page.getByLabel('E-mail, phone number or username').fill(ANA_AGAIN);
    await page.keyboard.press('Enter');
    await page.locator('#capture[data-ready]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `/signin scrolls sideways by ${overflow}px on a phone`);
    await screenshot(page, 'phone-signin-camera');
    // the tab keeps its demo session across the pages: /signup twice and /signin made one
    assert.equal(sessionsCreated, 1, 'demo sessions created by one tab');
    await closePage(page);
  });

  test('a file that is no photo, or too large, gets a clear message and no preview, and nothing is sent', async () => {
    const page = await openPage(anaBrowser);
    const registers = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/register')) registers.push(r.url()); });
    await page.goto(`${base}/signup`);
    await page.getByLabel('E-mail, phone number or username').fill(NOT_A_DOCUMENT);
    await page.getByRole('button', { name: 'Continue' }).click();
    const input = page.getByLabel('Choose a photo of your document');
    const error = page.locator('#document-error');
    const preview = page.locator('#document-preview');
    const noise = crypto.randomBytes(12 * 1024 * 1024);
    noise[0] = 0; // no image starts so
    // a real PNG of 30000 x 30000 pixels (900 megapixels, 1-bit black): valid, but no browser decodes it
    const hugePng = path.join(work, 'huge-30000x30000.png');
    fs.writeFileSync(hugePng, pngOfBlackPixels(30000, 30000));
    const cases = [
      [{ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a picture at all\n'.repeat(40)) },
        /^This file is not a photo\. Choose a photo/, 'text-as-jpeg'],
      [{ name: 'scan.jpg', mimeType: 'image/jpeg', buffer: noise }, /not a photo, and it is too large to send/, 'unreadable-12mb'],
      [hugePng, /too large in pixels/, 'too-many-pixels'],
      [{ name: 'passport.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%\xe2\xe3\n1 0 obj\n') },
        /^This file is not a photo\./, 'pdf'],
    ];
    for (const [file, message, name] of cases) {
      await input.setInputFiles(file);
      await error.filter({ hasText: message }).waitFor();
      assert.doesNotMatch(await error.innerText(), /Something went wrong/);
      assert.ok(await preview.isHidden(), `${name}: a preview is shown`);
      assert.equal(await preview.getAttribute('src'), null, `${name}: the preview has a picture`);
      await screenshot(page, `signup-file-${name}`);
      await page.getByRole('button', { name: 'Check my document' }).click();
      assert.match(await error.innerText(), message, `${name}: the message is gone after "Check my document"`);
    }
    assert.deepEqual(registers, [], 'something was sent');
    // then a photo: its preview, decoded, and no message
    await input.setInputFiles(documents.first.file);
    await preview.waitFor({ state: 'visible' });
    assert.ok(await preview.evaluate((img) => img.complete && img.naturalWidth > 0), 'a broken preview');
    assert.ok(await error.isHidden());
    await closePage(page);
  });

  test('a photo too large in pixels is made smaller in the browser and sent', async () => {
    // a genuine document photo of 12000 x 9000 pixels (108 megapixels: more than the server decodes)
    const document = makeDocument(faces.other_camera, work, 13, { surname: 'GROSS', 'given-names': 'BEA',
      nationality: 'UTO', 'issuing-state': 'UTO', birth: '880101', expiry: '331130', sex: 'F', number: 'Z55501234' });
    const big = path.join(work, 'document-12000x9000.jpg');
    ffmpeg(['-i', document.file, '-vf', 'scale=12000:9000:flags=bicubic', '-q:v', '3', big]);
    assert.deepEqual(jpegSize(fs.readFileSync(big)), { width: 12000, height: 9000 });
    const page = await openPage(otherBrowser);
    const upload = page.waitForRequest((r) => r.url().endsWith('/v1/register') && r.method() === 'POST',
      { timeout: RESULT_TIMEOUT });
    // what is sent is what the preview shows (the page's own copy of the prepared photo)
    let size = null;
    const chosen = signUp(page, base, LARGE_PHOTO, big, 'signup-large-photo-chosen');
    await page.locator('#document-preview').waitFor({ state: 'visible' });
    size = await page.locator('#document-preview').evaluate((img) => ({ width: img.naturalWidth, height: img.naturalHeight }));
    const result = await chosen;
    await screenshot(page, 'signup-large-photo-accepted');
    assert.ok(Math.max(size.width, size.height) <= 4096 && size.width >= 4000, `sent ${size.width} x ${size.height}`);
    assert.ok(Math.abs(size.width / size.height - 4 / 3) < 0.01, `the picture's proportions changed: ${size.width} x ${size.height}`);
    await upload;
    // the server decodes nothing over 100 megapixels: the sign-up went through because the picture was made smaller
    assert.equal(result.outcome, 'accepted', `outcome: ${result.text}`);
    await closePage(page);
  });

  // an application's backend calling /v1 with the suite's admin key
  async function api(method, route, body) {
    const response = await fetch(`${base}${route}`, { method, headers: { Authorization: `Bearer ${adminKey}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = await response.json();
    assert.ok(response.ok, `${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function openConsole(browser) {
    const page = await openPage(browser);
    await page.goto(`${base}/admin`);
    await page.getByLabel('Admin API key').fill(adminKey);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.locator('#collections-table tbody tr').first().waitFor();
    return page;
  }

  // an external ID written to be HTML: the console must show it as text
  const HOSTILE = '<img src=x onerror="window.__injected=1">@example.com';

  test('the console lists the verification sessions, with status, action and collection filters', async () => {
    // sessions made by an application's backend: one register, one verify canceled at once
    const hostile = HOSTILE;
    const registerSession = await api('POST', '/v1/sessions', { action: 'register', collectionId: DEMO, externalId: hostile });
    const verifySession = await api('POST', '/v1/sessions', { action: 'verify', collectionId: DEMO, externalId: ANA_AGAIN });
    await api('POST', `/v1/sessions/${verifySession.sessionId}/cancel`);

    const page = await openConsole(anaBrowser);
    const sessionRows = page.locator('#sessions-table tbody tr');
    await page.locator(`#sessions-table tr[data-session-id="${registerSession.sessionId}"]`).waitFor();
    const registerRow = page.locator(`#sessions-table tr[data-session-id="${registerSession.sessionId}"]`);
    const cells = await registerRow.locator('td').allInnerTexts();
    assert.ok(cells.includes(hostile), `the external ID is not shown as written: ${cells}`);
    assert.equal(await registerRow.locator('[data-status]').getAttribute('data-status'), 'created');
    assert.match(await registerRow.innerText(), /0 of \d+/);
    assert.equal(await page.locator('#sessions-table img').count(), 0, 'HTML from the server made it into the page');
    assert.equal(await page.evaluate(() => window.__injected), undefined);
    assert.ok((await page.locator(`#sessions-table tr[data-session-id="${verifySession.sessionId}"]`).innerText()).includes('canceled'));
    await screenshot(page, 'admin-sessions');
    // filters: status, action, collection
    const shown = () => sessionRows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.sessionId, tr.dataset.status, tr.dataset.action]));
    await page.locator('#sessions-status').selectOption('canceled');
    await page.locator('#sessions-form').getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#sessions-table tbody tr')].every((tr) => tr.dataset.status === 'canceled'));
    const canceled = await shown();
    assert.ok(canceled.some(([id]) => id === verifySession.sessionId) && canceled.every(([, st]) => st === 'canceled'), JSON.stringify(canceled));
    await page.locator('#sessions-status').selectOption('');
    await page.locator('#sessions-action').selectOption('register');
    await page.locator('#sessions-collection').selectOption(DEMO);
    await page.locator('#sessions-form').getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#sessions-table tbody tr')].every((tr) => tr.dataset.action === 'register'));
    const registers = await shown();
    assert.ok(registers.some(([id]) => id === registerSession.sessionId) && !registers.some(([id]) => id === verifySession.sessionId),
      JSON.stringify(registers));
    // another collection: none of these
    await page.locator('#sessions-collection').selectOption('');
    await page.locator('#sessions-action').selectOption('verify');
    await page.locator('#sessions-form').getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#sessions-table tbody tr')].every((tr) => tr.dataset.action === 'verify'));
    assert.ok((await shown()).some(([id]) => id === verifySession.sessionId));
    await closePage(page);
  });

  test('the console adds a webhook, shows its deliveries (status, attempts, last HTTP status) and replays one', async () => {
    // a receiver for the webhook: answers the first POST with 500, the others with 200
    const received = [];
    const receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = received.length === 1 ? 500 : 200;
        res.end(received.length === 1 ? 'not now' : 'ok');
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${receiver.address().port}/facegate-hook`;
    try {
      const registerSession = await api('POST', '/v1/sessions', { action: 'register', collectionId: DEMO, externalId: HOSTILE });
      const page = await openConsole(anaBrowser);
      // a webhook added in the console; its secret is shown once
      await page.locator('#webhook-add summary').click();
      await page.getByLabel('URL', { exact: true }).fill(hookUrl);
      await page.locator('#webhook-collection').selectOption(DEMO);
      await page.getByLabel('Description (optional)').fill('<b>tests</b>');
      await page.locator('#webhook-form').getByRole('button', { name: 'Add' }).click();
      await page.locator('#webhook-secret').waitFor({ state: 'visible' });
      const secret = (await page.locator('#webhook-secret-value').innerText()).trim();
      assert.match(secret, /^whsec_/);
      const webhookRow = page.locator('#webhooks-table tbody tr').filter({ hasText: hookUrl });
      await webhookRow.waitFor();
      assert.ok((await webhookRow.innerText()).includes('<b>tests</b>'), 'the description is not shown as written');
      assert.equal(await page.locator('#webhooks-table b').count(), 0);

      // the register session completes (a capture with the client secret, as the hosted page sends it): one
      // event, whose first POST gets a 500
      const form = new FormData();
      form.set('document', new Blob([fs.readFileSync(documents.first.file)], { type: 'image/jpeg' }), 'document.jpg');
      const capture = await fetch(`${base}/v1/sessions/${registerSession.sessionId}/capture`, {
        method: 'POST', headers: { Authorization: `Bearer ${registerSession.clientSecret}` }, body: form });
      assert.equal(capture.status, 200, await capture.text());
      // the deliveries as the console shows them, after "Show"
      const deliveryRow = page.locator('#deliveries-table tbody tr').first();
      const showDeliveries = async (until) => {
        for (;;) {
          await page.locator('#deliveries-form').getByRole('button', { name: 'Show' }).click();
          await page.locator('#deliveries-result > *').first().waitFor();
          if (await until()) return;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      const webhookId = await webhookRow.getAttribute('data-webhook-id');
      assert.match(webhookId, /^fgw_/);
      await page.locator('#deliveries-webhook').selectOption(webhookId);
      assert.equal((await page.locator('#deliveries-webhook option:checked').innerText()).trim(), `<b>tests</b> (${hookUrl})`);
      await showDeliveries(async () => received.length >= 1 && (await deliveryRow.count()) === 1
        && (await deliveryRow.locator('[data-field="lastStatusCode"]').innerText()) === '500');
      const failedOnce = await deliveryRow.innerText();
      assert.match(failedOnce, /session\.completed|session/, failedOnce);
      assert.equal(await deliveryRow.locator('[data-field="attempts"]').innerText(), '1');
      assert.ok(failedOnce.includes(registerSession.sessionId), failedOnce);
      assert.ok(['pending', 'failed'].includes(await deliveryRow.getAttribute('data-status')));
      await screenshot(page, 'admin-webhook-delivery-failed');
      // replay: sent again at once, and this time delivered
      await deliveryRow.getByRole('button', { name: /^Replay/ }).click();
      await page.locator('#console-status.success').waitFor();
      await showDeliveries(async () => (await deliveryRow.getAttribute('data-status')) === 'delivered');
      assert.equal(await deliveryRow.locator('[data-field="lastStatusCode"]').innerText(), '200');
      assert.equal(await deliveryRow.locator('[data-field="attempts"]').innerText(), '2');
      assert.equal(received.length, 2);
      await screenshot(page, 'admin-webhook-delivered');
      // the POST is signed with the secret the console showed (t=..,v1=HMAC-SHA256(secret, t + "." + body))
      const last = received[1];
      const signature = Object.fromEntries(String(last.headers['facegate-signature']).split(',').map((kv) => kv.split('=')));
      const expected = crypto.createHmac('sha256', secret).update(`${signature.t}.${last.body}`).digest('hex');
      assert.equal(signature.v1, expected, 'the delivery is not signed with the secret shown');
      assert.equal(JSON.parse(last.body).data?.sessionId ?? JSON.parse(last.body).sessionId, registerSession.sessionId);

      // delete, through the confirm step
      await webhookRow.getByRole('button', { name: /^Delete the webhook/ }).click();
      await page.getByRole('dialog', { name: 'Delete this webhook?' }).getByRole('button', { name: 'Delete', exact: true }).click();
      await page.locator('#console-status.success').filter({ hasText: 'Deleted the webhook' }).waitFor();
      assert.equal(await page.locator('#webhooks-table tbody tr').filter({ hasText: hookUrl }).count(), 0);
      await closePage(page);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  test('without a camera, the message is not drawn over the oval, and a selfie file is checked first', async () => {
    const noCamera = await launch(false);
    try {
      const page = await openPage(noCamera);
      await page.goto(`${base}/signin`);
      await page.getByLabel('E-mail, phone number or username').fill(NOBODY);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('#camera-fallback').waitFor({ state: 'visible' });
      const message = page.locator('#camera-message');
      assert.match(await message.innerText(), /No camera was found/);
      const box = async (locator) => ((await locator.isVisible()) ? locator.boundingBox() : null);
      const overlap = (a, b) => Boolean(a && b && a.x < b.x + b.width && b.x < a.x + a.width
        && a.y < b.y + b.height && b.y < a.y + a.height);
      const messageBox = await box(message);
      assert.ok(messageBox && messageBox.width > 0 && messageBox.height > 0, 'the message is not shown');
      for (const other of ['.oval-guide', '#camera-hint', '#camera-fallback', '#capture']) {
        assert.ok(!overlap(messageBox, await box(page.locator(other))), `the message is drawn over ${other}`);
      }
      assert.ok(await page.locator('#capture').isHidden(), 'a "Take photo" button without a camera');
      await screenshot(page, 'signin-no-camera');
      // a selfie file that is no photo: a message, no broken picture, nothing sent
      const verifies = [];
      page.on('request', (r) => { if (r.url().endsWith('/v1/verify')) verifies.push(r.url()); });
      await page.getByLabel('Take a selfie').setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('hello') });
      await page.locator('#photo-error').filter({ hasText: /This file is not a photo\. Choose a photo \(JPEG or PNG\) of your face/ }).waitFor();
      assert.ok(await page.locator('#snapshot').isHidden());
      assert.deepEqual(verifies, []);
      // a real selfie file is sent, shown in the frame, and answered
      await page.getByLabel('Take a selfie').setInputFiles(faces.other_camera);
      const result = await resultOf(page);
      assert.equal(verifies.length, 1);
      assert.equal(result.outcome, 'other_method', `outcome: ${result.text}`);
      await closePage(page);
    } finally {
      await noCamera.close();
    }
  });
});

// ---- over HTTPS ----

// a CA and a server certificate it signed for 127.0.0.1 and localhost (EC P-256, two days), by the openssl
// command line; spki is what --ignore-certificate-errors-spki-list takes: base64 of the SHA-256 of the
// certificate's SubjectPublicKeyInfo
function makeTlsCertificate(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=facegate web test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=facegate web test server');
  fs.writeFileSync(path.join(dir, 'server.ext'), ['subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth',
    'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ''].join('\n'));
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x5eed',
    '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  const cert = path.join(dir, 'server.pem');
  const der = new crypto.X509Certificate(fs.readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key: path.join(dir, 'server.key'), spki: crypto.createHash('sha256').update(der).digest('base64') };
}

describe('the pages over https', { skip: missing.length ? `missing ${missing.join(', ')}` : false }, () => {
  let work;
  let server;
  let tls;
  let browser;

  before(async () => {
    playwright = await import('playwright-core');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-web-tls-'));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    tls = makeTlsCertificate(work);
    const dataDir = path.join(work, 'data');
    fs.mkdirSync(dataDir);
    server = await startServer(dataDir, ['--tls-cert', tls.cert, '--tls-key', tls.key]);
    // the certificate is trusted by its key, as a pinned one would be: no blanket ignoreHTTPSErrors
    browser = await launch(null, [`--ignore-certificate-errors-spki-list=${tls.spki}`]);
  });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('/signin renders over TLS and its demo session is created, with a Secure cookie', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const page = await openPage(browser);
    const session = page.waitForResponse((r) => r.url() === `${server.url}/v1/demo/session` &&
      r.request().method() === 'POST');
    const response = await page.goto(`${server.url}/signin`);
    assert.equal(response.status(), 200);
    const security = await response.securityDetails();
    assert.ok(security, 'no TLS details for the page');
    assert.match(security.protocol, /^TLS 1\.[23]$/);
    assert.equal(security.subjectName, 'facegate web test server');
    assert.equal(await page.title(), 'Sign in · facegate');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor({ state: 'visible' });
    await page.getByLabel('E-mail, phone number or username').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => window.isSecureContext), true);

    const created = await session;
    assert.equal(created.status(), 200, await created.text());
    assert.equal((await created.json()).collectionId, DEMO);
    // over TLS the session cookie is Secure (and still HttpOnly, SameSite=Strict)
    const cookies = await page.context().cookies(`${server.url}/v1/demo/session`); // the cookie's Path is /v1
    assert.ok(cookies.length > 0, 'no cookie set by the demo session');
    for (const cookie of cookies) {
      assert.equal(cookie.secure, true, `cookie ${cookie.name} is not Secure`);
      assert.equal(cookie.httpOnly, true, `cookie ${cookie.name} is not HttpOnly`);
      assert.equal(cookie.sameSite, 'Strict');
    }
    await screenshot(page, 'https-signin');
    await closePage(page);
  });

  test('without the certificate trusted, chromium refuses the page', async () => {
    const untrusting = await launch(null);
    try {
      const page = await (await untrusting.newContext()).newPage();
      await assert.rejects(page.goto(`${server.url}/signin`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
