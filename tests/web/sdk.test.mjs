// facegate's drop-in SDK (web/sdk/facegate.js) and the example application (examples/node-app) in a real
// browser (Debian's chromium, driven by playwright-core): a real `facegate serve` on one loopback port and the
// example app (Node's http + jose) on another, so the SDK's modal frames facegate from another origin.
//
//  - sign-up through the modal (an ID document from make_id_document uploaded in the frame), then sign-in with
//    the fake camera (another photo of the same woman): the app's backend verifies each signed result with jose
//    and shows it; forged messages (from the app's own origin, and from another facegate frame) are not heard;
//  - the hosted page instead of the modal: to facegate and back to the app's /return, verified there;
//  - the camera refused inside the modal: the upload fallback;
//  - closing the modal (Escape in the page or in the frame, the close button), an expired session;
//  - a page on an origin facegate does not allow: the frame is refused (frame-ancestors) and nothing is posted;
//    /s/{id}?embedOrigin=<that origin> says so (the server answers 400);
//  - the signing key rotated (`facegate keys rotate-signing-key`): a token of the old key still verifies
//    with jose against the JWK Set.
// Screenshots of each step go to FACEGATE_SCREENSHOT_DIR/sdk.
//
//   FACEGATE_BIN=build/bin/facegate MAKE_ID_DOCUMENT_BIN=build/bin/make_id_document node --test tests/web/sdk.test.mjs
//
// Environment: as browser.test.mjs. The example app's dependency (jose, pinned by its package-lock.json) is
// installed with `npm ci` in examples/node-app when it is not there yet, as scripts/run-example.sh does.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const CHROMIUM = env.FACEGATE_CHROMIUM || '/usr/bin/chromium';
const FACEGATE_BIN = env.FACEGATE_BIN || '';
const MAKE_ID_DOCUMENT_BIN = env.MAKE_ID_DOCUMENT_BIN || '';
const SAMPLES = env.FACEGATE_SAMPLES_DIR || path.join(here, '..', '..', 'testdata', 'samples');
const BUILD_DIR = env.FACEGATE_BUILD_DIR || (FACEGATE_BIN ? path.dirname(path.dirname(path.resolve(FACEGATE_BIN))) : '');
const SCREENSHOTS = path.join(env.FACEGATE_SCREENSHOT_DIR || (BUILD_DIR ? path.join(BUILD_DIR, 'tests', 'web', 'screenshots') : ''), 'sdk');
const EXAMPLE_DIR = path.join(here, '..', '..', 'examples', 'node-app');

// the same woman on the document (sample3) and in front of the camera (sample1): see browser.test.mjs
const FACES = {
  ana_document: { sample: 'sample3.jpg', crop: '520:700:940:40' },
  ana_camera: { sample: 'sample1.jpg', crop: '600:800:1250:0' },
};
const ANA = 'ana@example.com';
const COLLECTION = 'example';
const RESULT_TIMEOUT = 120000; // the server reads the document or the selfie (models on 2 cores)

function whatIsMissing() {
  const missing = [];
  if (Number(process.versions.node.split('.')[0]) < 20) missing.push(`node 20 or newer (this is ${process.version})`);
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  for (const module of ['playwright-core', 'jose']) {
    if (!fs.existsSync(path.join(here, 'node_modules', module, 'package.json'))) missing.push(`tests/web/node_modules/${module} (npm ci in tests/web)`);
  }
  if (!FACEGATE_BIN || !fs.existsSync(FACEGATE_BIN)) missing.push(`FACEGATE_BIN (${FACEGATE_BIN || 'unset'})`);
  if (!MAKE_ID_DOCUMENT_BIN || !fs.existsSync(MAKE_ID_DOCUMENT_BIN)) missing.push(`MAKE_ID_DOCUMENT_BIN (${MAKE_ID_DOCUMENT_BIN || 'unset'})`);
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
  throw new Error(`the SDK's browser tests cannot run: missing ${missing.join(', ')}`);
}

// ---- fixtures ----

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function cropFace(name, work) {
  const { sample, crop } = FACES[name];
  const out = path.join(work, `${name}.jpg`);
  ffmpeg(['-i', path.join(SAMPLES, sample), '-vf', `crop=${crop}`, '-q:v', '2', out]);
  return out;
}

function cameraFile(photo, work) {
  const out = path.join(work, `${path.basename(photo, '.jpg')}.y4m`);
  ffmpeg(['-loop', '1', '-i', photo, '-vf',
    'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
    '-t', '2', '-r', '15', out]);
  return out;
}

function makeDocument(photo, work) {
  const out = path.join(work, 'document.jpg');
  execFileSync(MAKE_ID_DOCUMENT_BIN, ['--photo', photo, '--type', 'td3', '--out', out, '--seed', '31', '--surname', 'MULLER',
    '--given-names', 'ANA', '--number', 'S12345678', '--birth', '900412', '--expiry', '341231', '--sex', 'F'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out;
}

// ---- the processes: facegate, the example app ----

// a process that says on a line of its output that it listens; resolves with that line's match
function startProcess(name, command, args, options, pattern, stream = 'stderr') {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 180 s:\n${log}`));
    }, 180000);
    for (const s of [child.stdout, child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (chunk) => {
        log += chunk;
        const match = !started && (stream === 'any' || s === child[stream]) && log.match(pattern);
        if (match) {
          started = true;
          clearTimeout(timer);
          resolve({ child, match, log: () => log });
        }
      });
    }
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${name} exited (${code}):\n${log}`));
    });
  });
}

async function stopProcess(proc) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  const timeout = setTimeout(() => proc.child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timeout);
}

// a loopback port free now (the app's origin must be known before facegate starts, to be allowed)
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// a site facegate does not allow: one empty page, on a third origin
function startOtherSite() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another site</title></head>'
        + '<body><h1>Another site</h1></body></html>');
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

// ---- the browser ----

let playwright;

// fakeUi: chromium grants the camera by itself (--use-fake-ui-for-media-stream); without it, playwright
// refuses the permission as a person would
async function launch(camera, { fakeUi = true } = {}) {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', ...(fakeUi ? ['--use-fake-ui-for-media-stream'] : []),
      '--use-fake-device-for-media-stream', ...(camera ? [`--use-file-for-fake-video-capture=${camera}`] : []),
      '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  // which URL a 'Failed to load resource' was about
  page.on('response', (response) => {
    if (response.status() >= 400) page.failed.push(`${response.status()} ${response.url()}`);
  });
  page.failed = [];
  page.setDefaultTimeout(30000);
  return page;
}

// expected: problems the test provoked on purpose
async function closePage(page, expected = []) {
  const problems = page.problems.filter((p) => !expected.some((re) => re.test(p)));
  const failed = page.failed;
  await page.context().close();
  assert.deepEqual(problems, [], `errors in the page (responses >= 400: ${failed.join(', ') || 'none'})`);
}

let shotNumber = 0;
async function screenshot(page, name) {
  shotNumber += 1;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the SDK and the example app in a browser', { skip: missing.length ? `missing ${missing.join(', ')}` : false }, () => {
  let work;
  let dataDir;
  let facegate; // { child, url }
  let app; // { child, url }
  let other; // { server, url }
  let apiKey;
  let keyId;
  let faces;
  let documentFile;
  let browser; // camera: another photo of the woman on the document
  let jose;
  const done = {}; // what the later tests use: the completed sessions

  const api = async (method, route, body) => {
    const response = await fetch(`${facegate.url}${route}`, {
      method, headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    assert.equal(response.status, 200, `${method} ${route}: ${JSON.stringify(json)}`);
    return json;
  };

  // the modal of the SDK and the frame in it
  const modal = (page) => page.getByRole('dialog', { name: 'Identity verification' });
  const frameOf = (page) => page.frameLocator('[data-facegate] iframe');
  const sessionOfFrame = async (page) => {
    const src = await page.locator('[data-facegate] iframe').getAttribute('src');
    return new URL(src).pathname.split('/')[2];
  };

  // the example app's home page, one of its forms filled
  async function startFlow(page, flow, email, button) {
    const response = await page.goto(`${app.url}/`);
    assert.equal(response.status(), 200);
    const form = page.locator(`form[data-flow="${flow}"]`);
    await form.getByLabel('E-mail').fill(email);
    await form.getByRole('button', { name: button, exact: true }).click();
  }

  // the app's result section once its backend verified (or refused) the signed result
  async function appResult(page) {
    const result = page.locator('#result[data-verified]');
    await result.waitFor({ timeout: RESULT_TIMEOUT });
    return {
      verified: await result.getAttribute('data-verified'),
      decision: await result.getAttribute('data-decision'),
      sub: await result.getAttribute('data-sub'),
      action: await result.getAttribute('data-action'),
      text: await result.innerText(),
    };
  }

  before(async () => {
    playwright = await import('playwright-core');
    jose = await import('jose');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-sdk-'));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    for (const old of fs.readdirSync(SCREENSHOTS)) if (old.endsWith('.png')) fs.rmSync(path.join(SCREENSHOTS, old));
    faces = Object.fromEntries(Object.keys(FACES).map((name) => [name, cropFace(name, work)]));
    documentFile = makeDocument(faces.ana_document, work);
    const camera = cameraFile(faces.ana_camera, work);

    // facegate, as scripts/run-example.sh starts it: a flows key, the collection, the app's origin allowed
    dataDir = path.join(work, 'data');
    fs.mkdirSync(dataDir);
    const created = execFileSync(FACEGATE_BIN, ['keys', 'create', '--kind', 'api', '--scope', 'flows', '--data', dataDir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    apiKey = JSON.parse(created).apiKey;
    keyId = apiKey.slice(0, 16);
    assert.match(keyId, /^fgk_[a-z2-7]{12}$/);
    execFileSync(FACEGATE_BIN, ['collection', 'create', COLLECTION, '--data', dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const appUrl = `http://127.0.0.1:${await freePort()}`;
    const started = await startProcess('facegate serve', FACEGATE_BIN,
      ['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--allowed-return-origin', appUrl], {},
      /facegate: listening on (https?:\/\/\S+)/);
    facegate = { ...started, url: started.match[1] };

    if (!fs.existsSync(path.join(EXAMPLE_DIR, 'node_modules', 'jose', 'package.json'))) {
      execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: EXAMPLE_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const appStarted = await startProcess('the example app', process.execPath, [path.join(EXAMPLE_DIR, 'server.mjs')], {
      env: { ...process.env, FACEGATE_URL: facegate.url, FACEGATE_API_KEY: apiKey, PORT: new URL(appUrl).port, HOST: '127.0.0.1' },
    }, /example-app: listening on (http:\/\/\S+)/, 'stdout');
    app = { ...appStarted, url: appStarted.match[1] };
    assert.equal(app.url, appUrl);
    assert.notEqual(new URL(app.url).origin, new URL(facegate.url).origin);
    other = await startOtherSite();

    browser = await launch(camera);
  });

  after(async () => {
    await browser?.close();
    await stopProcess(app);
    await stopProcess(facegate);
    other?.server.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  test('the SDK is served to other origins, with its type declarations', async () => {
    const sdk = await fetch(`${facegate.url}/sdk/facegate.js`, { headers: { Origin: app.url } });
    assert.equal(sdk.status, 200);
    assert.match(sdk.headers.get('content-type'), /javascript/);
    assert.equal(sdk.headers.get('access-control-allow-origin'), '*');
    assert.match(await sdk.text(), /export function open\(/);
    const types = await fetch(`${facegate.url}/sdk/facegate.d.ts`);
    assert.equal(types.status, 200);
    assert.match(types.headers.get('content-type'), /^text\/plain/);
    assert.match(await types.text(), /export declare function open\(options: FacegateOpenOptions\): Promise<FacegateResult>/);
    // the capture pages may be framed by the allowed origin, the console by nobody
    const signup = await fetch(`${facegate.url}/signup`);
    assert.match(signup.headers.get('content-security-policy'), new RegExp(`frame-ancestors 'self' ${app.url};`));
    const admin = await fetch(`${facegate.url}/admin`);
    assert.match(admin.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  });

  test('sign-up in the SDK modal from the app: the document uploaded in the frame, the result verified by the app', async () => {
    const page = await openPage(browser);
    const posted = [];
    page.on('request', (r) => { if (r.url() === `${app.url}/api/result`) posted.push(r.postDataJSON()); });
    await startFlow(page, 'register', ANA, 'Sign up');

    const dialog = modal(page);
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    const iframe = page.locator('[data-facegate] iframe');
    assert.equal(await iframe.getAttribute('allow'), 'camera');
    const src = new URL(await iframe.getAttribute('src'));
    assert.equal(src.origin, new URL(facegate.url).origin);
    assert.equal(src.searchParams.get('embedOrigin'), app.url);
    const sessionId = src.pathname.split('/')[2];
    assert.match(sessionId, /^fgs_[0-9a-f]{32}$/);
    assert.equal(src.hash.slice(1, 39), `fgcs_${sessionId.slice(4)}_`, 'the client secret names its session');
    // the keyboard is in the dialog: on its close button, or in the frame once the page there took the focus
    const focused = await page.evaluate(() => {
      const root = document.querySelector('[data-facegate]').shadowRoot;
      return document.activeElement === root.host ? root.activeElement?.getAttribute('aria-label') || root.activeElement?.tagName : null;
    });
    assert.ok(['Close', 'IFRAME'].includes(focused), `the focus is on ${focused}`);

    const frame = frameOf(page);
    await frame.getByRole('heading', { name: 'Upload your ID document' }).waitFor();
    // session mode in the frame: no identifier step, no site navigation
    assert.equal(await frame.locator('#step-identifier').isVisible(), false);
    await frame.getByLabel('Choose a photo of your document').setInputFiles(documentFile);
    await frame.locator('#document-preview').waitFor({ state: 'visible' });
    await screenshot(page, 'app-signup-modal-document');
    await frame.getByRole('button', { name: 'Check my document' }).click();

    const result = await appResult(page);
    assert.equal(result.verified, 'true', `the app refused the result: ${result.text}`);
    assert.equal(result.decision, 'accepted', result.text);
    assert.equal(result.sub, ANA);
    assert.equal(result.action, 'register');
    assert.equal(posted.length, 1);
    assert.equal(posted[0].sessionId, sessionId);
    // the modal closes by itself after the outcome
    await page.locator('[data-facegate]').waitFor({ state: 'detached' });
    await screenshot(page, 'app-signup-verified');
    done.signup = { sessionId, clientSecret: decodeURIComponent(src.hash.slice(1)) };

    // the same session opened again: the frame shows the outcome only (no number), the SDK gets the end again
    const again = await page.evaluate(async ({ sdk, clientSecret }) => {
      const { default: facegate } = await import(sdk);
      return facegate.open({ clientSecret, closeDelay: false });
    }, { sdk: `${facegate.url}/sdk/facegate.js`, clientSecret: done.signup.clientSecret });
    assert.equal(again.sessionId, sessionId);
    assert.equal(again.status, 'completed');
    assert.equal(again.outcome, 'accepted');
    assert.equal(again.resultToken.split('.').length, 3);
    const shown = (await frameOf(page).locator('#session-card').innerText()).trim();
    assert.match(shown, /All done/);
    assert.ok(!/[0-9%]/.test(shown), `a number in the frame: ${shown}`);
    await screenshot(page, 'sdk-completed-session-reopened');
    await modal(page).getByRole('button', { name: 'Close' }).click();
    await page.locator('[data-facegate]').waitFor({ state: 'detached' });
    await closePage(page);
  });

  test('sign-in in the SDK modal with the live camera; forged messages are not heard', async () => {
    const page = await openPage(browser);
    const posted = [];
    page.on('request', (r) => { if (r.url() === `${app.url}/api/result`) posted.push(r.postDataJSON()); });
    await startFlow(page, 'verify', ANA, 'Sign in');
    await modal(page).waitFor();
    const sessionId = await sessionOfFrame(page);
    const inFrame = page.frames().find((f) => f.url().startsWith(`${facegate.url}/`));
    assert.ok(inFrame, 'no facegate frame');
    const frame = frameOf(page);
    await frame.locator('#capture[data-ready]').waitFor();
    // the live camera runs in the cross-origin frame (allow="camera")
    const signin = page.frames().find((f) => f.url().startsWith(`${facegate.url}/signin?session=`));
    await signin.waitForFunction(() => document.querySelector('#camera-preview').videoWidth > 0);

    // forgeries, before the real end: from the app's own origin, and from another facegate frame that is not
    // the modal's
    const forged = { type: 'facegate:session', sessionId, status: 'completed', outcome: 'accepted', resultToken: 'forged.token.here' };
    await page.evaluate((message) => window.postMessage(message, '*'), forged);
    await page.evaluate((url) => new Promise((resolve) => {
      const f = document.createElement('iframe');
      f.name = 'another-facegate-frame';
      f.src = url;
      f.addEventListener('load', resolve, { once: true });
      document.body.append(f);
    }), `${facegate.url}/signin`);
    const another = page.frame({ name: 'another-facegate-frame' });
    await another.evaluate(({ message, origin }) => window.parent.postMessage(message, origin), { message: forged, origin: app.url });
    await screenshot(page, 'app-signin-modal-camera');

    await frame.getByRole('button', { name: 'Take photo' }).click();
    const result = await appResult(page);
    assert.equal(result.verified, 'true', `the app refused the result: ${result.text}`);
    assert.equal(result.decision, 'accepted', result.text);
    assert.equal(result.sub, ANA);
    assert.equal(result.action, 'verify');
    // the app was given the frame's token only
    assert.equal(posted.length, 1, JSON.stringify(posted));
    assert.notEqual(posted[0].resultToken, forged.resultToken);
    const claims = jose.decodeJwt(posted[0].resultToken);
    assert.equal(claims.sid, sessionId);
    assert.equal(claims.aud, keyId);
    // the browser's token carries no score
    assert.deepEqual(Object.keys(claims).filter((k) => /confidence/i.test(k)), []);
    await page.locator('[data-facegate]').waitFor({ state: 'detached' });
    await screenshot(page, 'app-signin-verified');
    done.signin = { sessionId, browserToken: posted[0].resultToken };
    await closePage(page);
  });

  test('the hosted page instead of the modal: to facegate and back to the app, which verifies the result', async () => {
    const page = await openPage(browser);
    await startFlow(page, 'verify', ANA, 'Use the hosted page instead');
    await page.waitForURL((u) => u.href.startsWith(`${facegate.url}/signin?session=`));
    // the secret left the address bar; no site navigation in session mode
    assert.equal(new URL(page.url()).hash, '');
    await page.locator('#capture[data-ready]').waitFor();
    await page.waitForFunction(() => document.querySelector('#camera-preview').videoWidth > 0);
    await screenshot(page, 'hosted-signin-camera');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await page.locator('#session-continue').waitFor({ timeout: RESULT_TIMEOUT });
    await screenshot(page, 'hosted-signin-outcome');
    await page.waitForURL((u) => u.href.startsWith(`${app.url}/return?`), { timeout: RESULT_TIMEOUT });
    const back = new URL(page.url());
    assert.match(back.searchParams.get('facegate_session'), /^fgs_[0-9a-f]{32}$/);
    const result = await appResult(page);
    assert.equal(result.verified, 'true', `the app refused the result: ${result.text}`);
    assert.equal(result.decision, 'accepted', result.text);
    assert.equal(result.sub, ANA);
    assert.equal(result.action, 'verify');
    await screenshot(page, 'hosted-back-in-app-verified');
    // the same result again: the app takes a result once
    await page.reload();
    assert.equal((await appResult(page)).verified, 'false');
    await closePage(page, [/status of 400/]);
  });

  test('the camera refused inside the modal: the upload fallback completes the session', async () => {
    const refusing = await launch(null, { fakeUi: false });
    try {
      const page = await openPage(refusing);
      await startFlow(page, 'verify', ANA, 'Sign in');
      const frame = frameOf(page);
      await frame.getByText('Camera access was refused').waitFor();
      const fallback = frame.getByLabel('Take a selfie');
      await fallback.waitFor();
      assert.equal(await frame.getByRole('button', { name: 'Take photo' }).isVisible(), false);
      await screenshot(page, 'app-signin-modal-camera-refused');
      await fallback.setInputFiles(faces.ana_camera);
      const result = await appResult(page);
      assert.equal(result.verified, 'true', `the app refused the result: ${result.text}`);
      assert.equal(result.decision, 'accepted', result.text);
      assert.equal(result.action, 'verify');
      await screenshot(page, 'app-signin-upload-verified');
      await closePage(page);
    } finally {
      await refusing.close();
    }
  });

  test('closing the modal: Escape on the page, Escape in the frame, the close button', async () => {
    const page = await openPage(browser);
    const closedOnce = async (close) => {
      await startFlow(page, 'verify', ANA, 'Sign in');
      await modal(page).waitFor();
      const sessionId = await sessionOfFrame(page);
      await close();
      await page.locator('[data-facegate]').waitFor({ state: 'detached' });
      const state = page.locator('#result[data-state]');
      await state.waitFor();
      assert.equal(await state.getAttribute('data-state'), 'closed');
      // nothing was captured: the session still waits
      assert.equal((await api('GET', `/v1/sessions/${sessionId}`)).status, 'created');
    };
    await closedOnce(async () => {
      // the keyboard stays in the dialog: back from the close button is the frame (once the page in the frame
      // has started, and so taken the focus it takes)
      await frameOf(page).locator('#capture[data-ready]').waitFor();
      await modal(page).getByRole('button', { name: 'Close' }).focus();
      await page.keyboard.press('Shift+Tab');
      assert.equal(await page.evaluate(() => document.querySelector('[data-facegate]').shadowRoot.activeElement?.tagName), 'IFRAME');
      await screenshot(page, 'sdk-modal-open');
      await modal(page).getByRole('button', { name: 'Close' }).focus();
      await page.keyboard.press('Escape');
    });
    await closedOnce(async () => {
      await frameOf(page).locator('#capture[data-ready]').waitFor();
      await frameOf(page).locator('#capture').focus();
      await page.keyboard.press('Escape'); // in the frame: the page passes it on
    });
    await closedOnce(() => modal(page).getByRole('button', { name: 'Close' }).click());
    await screenshot(page, 'app-modal-closed');
    await closePage(page);
  });

  test('an expired session: the frame says so and the SDK ends with status expired', async () => {
    const s = await api('POST', '/v1/sessions', { action: 'verify', collectionId: COLLECTION, externalId: ANA, expiresIn: 1 });
    while ((await api('GET', `/v1/sessions/${s.sessionId}`)).status !== 'expired') await sleep(200);
    const page = await openPage(browser);
    await page.goto(`${app.url}/`);
    const end = await page.evaluate(async ({ sdk, clientSecret }) => {
      const { default: facegate } = await import(sdk);
      return facegate.open({ clientSecret });
    }, { sdk: `${facegate.url}/sdk/facegate.js`, clientSecret: s.clientSecret });
    assert.deepEqual(end, { sessionId: s.sessionId, status: 'expired', outcome: null, resultToken: null });
    // the modal stays for the person to read it
    await frameOf(page).getByText('This link has expired').waitFor();
    await screenshot(page, 'sdk-expired-session');
    await page.keyboard.press('Escape');
    await page.locator('[data-facegate]').waitFor({ state: 'detached' });
    await closePage(page);
  });

  test('a site facegate does not allow: its frame is refused and nothing is posted to it', async () => {
    const s = await api('POST', '/v1/sessions', { action: 'verify', collectionId: COLLECTION, externalId: ANA });
    const page = await openPage(browser);
    await page.goto(`${other.url}/`);
    await page.evaluate(() => {
      window.heard = [];
      window.addEventListener('message', (e) => window.heard.push({ origin: e.origin, data: e.data }));
    });
    // chromium says on the console when frame-ancestors refuses a frame
    const refused = page.waitForEvent('console', (m) => /frame-ancestors/.test(m.text()));
    const opened = page.evaluate(async ({ sdk, clientSecret }) => {
      const { default: facegate } = await import(sdk);
      window.ended = facegate.open({ clientSecret }).then((r) => r.status, (e) => e.code);
      return document.querySelector('[data-facegate]').shadowRoot.querySelector('iframe').src;
    }, { sdk: `${facegate.url}/sdk/facegate.js`, clientSecret: s.clientSecret });
    const src = new URL(await opened);
    assert.equal(src.searchParams.get('embedOrigin'), other.url);
    await refused;
    await screenshot(page, 'other-site-frame-refused');
    // no facegate page ran in the frame, and so nothing was posted; the session was never read
    assert.equal(page.frames().some((f) => f.url().startsWith(`${facegate.url}/`)), false);
    assert.deepEqual(await page.evaluate(() => window.heard), []);
    assert.equal((await api('GET', `/v1/sessions/${s.sessionId}`)).status, 'created');
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => window.ended), 'closed');

    // opened at the top with that origin as embedOrigin: the server refuses it, the page says so
    const state = page.waitForResponse((r) => r.url().includes(`/v1/sessions/${s.sessionId}/capture`));
    await page.goto(`${facegate.url}/s/${s.sessionId}?embedOrigin=${encodeURIComponent(other.url)}#${s.clientSecret}`);
    assert.equal((await state).status(), 400);
    await page.getByText('This site cannot show this check').waitFor();
    assert.equal(await page.locator('#session-card').getAttribute('data-session-error'), 'embed-origin');
    assert.equal(new URL(page.url()).hash, '', 'the secret stays out of the address bar');
    await screenshot(page, 'hosted-embed-origin-refused');
    assert.equal((await api('GET', `/v1/sessions/${s.sessionId}`)).status, 'created');
    await closePage(page, [/frame-ancestors/, /status of 400/]);
  });

  test('the signing key rotated: a token of the old key still verifies with jose against the JWK Set', async () => {
    const jwksUrl = new URL('/.well-known/jwks.json', facegate.url);
    const options = { algorithms: ['ES256'], issuer: facegate.url, audience: keyId };
    const oldToken = (await api('GET', `/v1/sessions/${done.signup.sessionId}`)).resultToken;
    const before = await jose.jwtVerify(oldToken, jose.createRemoteJWKSet(jwksUrl), options);
    assert.equal(before.payload.sid, done.signup.sessionId);
    assert.equal(before.payload.sub, ANA);
    assert.equal(before.payload.decision, 'accepted');

    const rotated = JSON.parse(execFileSync(FACEGATE_BIN, ['keys', 'rotate-signing-key', '--data', dataDir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    assert.notEqual(rotated.kid, before.protectedHeader.kid);
    const published = (await (await fetch(jwksUrl)).json()).keys.map((k) => k.kid).sort();
    assert.deepEqual(published, [before.protectedHeader.kid, rotated.kid].sort());

    // a fresh JWK Set (no cache): the old key's token still verifies while it is valid...
    const jwks = jose.createRemoteJWKSet(jwksUrl);
    const still = await jose.jwtVerify(oldToken, jwks, options);
    assert.equal(still.protectedHeader.kid, before.protectedHeader.kid);
    // ...and the new tokens are signed with the new key
    const newToken = (await api('GET', `/v1/sessions/${done.signup.sessionId}`)).resultToken;
    const fresh = await jose.jwtVerify(newToken, jwks, options);
    assert.equal(fresh.protectedHeader.kid, rotated.kid);
    // another audience, or a tampered payload, does not verify
    await assert.rejects(jose.jwtVerify(oldToken, jwks, { ...options, audience: 'fgk_aaaaaaaaaaaa' }), /aud/);
    const [h, p, sig] = oldToken.split('.');
    const tampered = jose.base64url.encode(JSON.stringify({ ...jose.decodeJwt(oldToken), sub: 'someone@else.example' }));
    assert.notEqual(tampered, p);
    await assert.rejects(jose.jwtVerify(`${h}.${tampered}.${sig}`, jwks, options), /signature verification failed/);
  });
});
