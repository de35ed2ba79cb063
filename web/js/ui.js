// Small DOM helpers shared by the pages. Everything from the server goes in as text (textContent),
// never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('p', {class: 'note'}, 'text', child...): attributes with a null/false value are left out
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

// ---- identifiers: 1-255 bytes of UTF-8 (docs/api-v1.md) ----

export function identifierError(value) {
  if (value.trim() === '') return 'Enter your e-mail address, phone number or username.';
  if (new TextEncoder().encode(value).length > 255) return 'That is too long: at most 255 bytes.';
  return '';
}

// shows or clears an input's error text (linked with aria-describedby), returns whether it is valid
export function checkField(input, errorElement, message) {
  errorElement.textContent = message;
  errorElement.hidden = !message;
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) input.focus();
  return !message;
}

// ---- flow steps ----

// shows section `index` of `sections`, marks the step list, moves focus to the section's heading so
// keyboard and screen-reader users follow the flow
export function showStep(stepList, sections, index, { focus = true } = {}) {
  sections.forEach((section, i) => {
    section.hidden = i !== index;
  });
  [...stepList.querySelectorAll('li')].forEach((li, i) => {
    li.classList.toggle('done', i < index);
    if (i === index) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
  if (focus) {
    const heading = sections[index].querySelector('h2, h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }
}

// ---- progress while the server works ----

export class Progress {
  constructor(container) {
    this.container = container;
    this.bar = container.querySelector('progress');
    this.text = container.querySelector('[data-progress-text]');
  }

  start(text) {
    this.container.hidden = false;
    this.bar.value = 0;
    this.text.textContent = text;
  }

  // fraction of the upload sent, or null when unknown
  upload(fraction, label = 'Uploading') {
    if (fraction === null) return;
    if (fraction >= 1) return;
    this.bar.value = Math.round(fraction * 100);
    this.bar.max = 100;
    this.text.textContent = `${label}… ${Math.round(fraction * 100)}%`;
  }

  // the upload is done: an indeterminate bar while the server analyses
  working(text) {
    this.bar.removeAttribute('value');
    this.text.textContent = text;
  }

  stop() {
    this.container.hidden = true;
  }
}

// a number as the console shows it (one decimal); the public pages show no numbers from the server
export function fmt(n) {
  return Number.isFinite(Number(n)) ? (Math.round(Number(n) * 10) / 10).toFixed(1) : '–';
}

// ---- result banners and reason lists ----

const ICONS = {
  ok: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm-1.2 14.2-4.3-4.3 1.4-1.4 2.9 2.9 5.9-5.9 1.4 1.4-7.3 7.3Z',
  bad: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm4.2 12.8-1.4 1.4L12 13.4l-2.8 2.8-1.4-1.4 2.8-2.8-2.8-2.8 1.4-1.4 2.8 2.8 2.8-2.8 1.4 1.4-2.8 2.8 2.8 2.8Z',
  warn: 'M12 2 1 21h22L12 2Zm1 16h-2v-2h2v2Zm0-4h-2v-4h2v4Z',
};

export function banner(kind, title, text) {
  return h(
    'div',
    { class: `result-banner ${kind}` },
    svg('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
      svg('path', { d: ICONS[kind], fill: 'currentColor' })),
    h('div', {}, h('h2', { tabindex: '-1', 'data-result-title': true }, title), text ? h('p', {}, text) : null),
  );
}

export function reasonList(described) {
  return h(
    'ul',
    { class: 'reasons' },
    described.map((r) =>
      h('li', { class: r.severity, 'data-reason': r.code },
        h('span', {}, r.text),
        r.advice ? h('span', { class: 'advice' }, r.advice) : null)),
  );
}

export function formatDate(value) {
  if (value === null || value === undefined || value === '') return '–';
  // epoch seconds or milliseconds, or an ISO string
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// ---- photos chosen from a file: checked and made small enough here, before any upload ----
// The server takes JPEG, PNG, WebP and BMP up to 5 MB and 100 megapixels; a phone's photo can be larger
// in bytes or in pixels, or be a file that is no photo at all. The page decodes it first: what cannot be
// decoded gets a clear message and no preview, what is too large is sent as a JPEG of at most
// PHOTO_MAX_SIDE pixels on its long side (plenty for a face or an ID document).

export const PHOTO_MAX_BYTES = 4.5 * 1024 * 1024;
export const PHOTO_MAX_SIDE = 4096;
// the formats the server reads itself; anything else the browser decodes is sent as a JPEG
const SERVER_FORMATS = new Set(['jpeg', 'png', 'webp', 'bmp']);

export class PhotoError extends Error {
  // reason: 'not-image' | 'unreadable' | 'too-large-pixels' | 'too-large-bytes'
  constructor(reason, { tooManyBytes = false } = {}) {
    super(reason);
    this.reason = reason;
    this.tooManyBytes = tooManyBytes;
  }
}

// what to tell the person about a photo that cannot be used; `what` is "of your document", "of your face"
export function photoErrorText(error, what) {
  if (!(error instanceof PhotoError)) return `This photo could not be prepared. Choose another photo ${what}.`;
  switch (error.reason) {
    case 'not-image':
      return error.tooManyBytes
        ? `This file is not a photo, and it is too large to send. Choose a photo (JPEG or PNG) ${what}.`
        : `This file is not a photo. Choose a photo (JPEG or PNG) ${what}.`;
    case 'too-large-pixels':
      return `This photo is too large in pixels to be read here. Choose a smaller photo ${what}, or make this one smaller first.`;
    case 'too-large-bytes':
      return `This photo is too large to send. Choose a smaller photo ${what}.`;
    default:
      return error.tooManyBytes
        ? `This file is too large and is not a photo we can read. Choose a photo (JPEG or PNG) ${what}.`
        : `This file is not a photo we can read: it may be damaged. Choose a photo (JPEG or PNG) ${what}.`;
  }
}

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const u32le = (b, i) => b[i] + (b[i + 1] << 8) + (b[i + 2] << 16) + ((b[i + 3] << 24) >>> 0);
const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));

// the EXIF orientation (1-8) in a JPEG's APP1 segment at `at` (its length `len`), or 1
function exifOrientation(b, at, len) {
  if (len < 14 || ascii(b, at, 6) !== 'Exif\0\0') return 1;
  const t = at + 6;
  const little = ascii(b, t, 2) === 'II';
  const r16 = (i) => (little ? u16le(b, i) : u16be(b, i));
  const r32 = (i) => (little ? u32le(b, i) : u32be(b, i));
  const ifd = t + r32(t + 4);
  if (ifd + 2 > b.length) return 1;
  const count = r16(ifd);
  for (let k = 0; k < count; k += 1) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > b.length) break;
    if (r16(e) === 0x0112) {
      const value = r16(e + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

// the format and pixel size written in an image file's first bytes, or null when it is no image this
// page knows: {format, width, height, orientation} (width and height 0 when the header does not say)
export function imageInfo(b) {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const info = { format: 'jpeg', width: 0, height: 0, orientation: 1 };
    let i = 2;
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) return info; // not a marker: damaged, the decoder will say
      const marker = b[i + 1];
      if (marker === 0xff) { i += 1; continue; }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) { i += 2; continue; }
      const len = u16be(b, i + 2);
      if (marker === 0xe1) info.orientation = exifOrientation(b, i + 4, len - 2);
      const sof = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
      if (sof && i + 9 <= b.length) {
        info.height = u16be(b, i + 5);
        info.width = u16be(b, i + 7);
        return info;
      }
      if (marker === 0xda) return info; // image data before any frame header
      i += 2 + len;
    }
    return info;
  }
  if (b.length >= 24 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) {
    return { format: 'png', width: u32be(b, 16), height: u32be(b, 20), orientation: 1 };
  }
  if (b.length >= 10 && ascii(b, 0, 4) === 'GIF8') {
    return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8), orientation: 1 };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    const chunk = ascii(b, 12, 4);
    const info = { format: 'webp', width: 0, height: 0, orientation: 1 };
    if (chunk === 'VP8 ') {
      info.width = u16le(b, 26) & 0x3fff;
      info.height = u16le(b, 28) & 0x3fff;
    } else if (chunk === 'VP8L') {
      info.width = 1 + (((b[22] & 0x3f) << 8) | b[21]);
      info.height = 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6));
    } else if (chunk === 'VP8X') {
      info.width = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
      info.height = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    }
    return info;
  }
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) {
    const height = u32le(b, 22);
    return { format: 'bmp', width: u32le(b, 18), height: height > 0x7fffffff ? 0x100000000 - height : height, orientation: 1 };
  }
  // HEIF/AVIF (a phone's photo): a browser may decode it, the server does not; sent as a JPEG when it does
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis'].includes(brand)) {
      return { format: brand.startsWith('av') ? 'avif' : 'heif', width: 0, height: 0, orientation: 1 };
    }
  }
  return null;
}

function canvasJpeg(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new PhotoError('too-large-pixels'))), 'image/jpeg', quality);
  });
}

// decodes `file` and returns what to send: {file, width, height, resized}. The file itself when the
// server can take it as it is (format, bytes, pixels), otherwise a JPEG of at most maxSide pixels on
// the long side and maxBytes bytes. Throws a PhotoError when the file is no photo or cannot be decoded.
export async function preparePhoto(file, { maxBytes = PHOTO_MAX_BYTES, maxSide = PHOTO_MAX_SIDE } = {}) {
  const tooManyBytes = file.size > maxBytes;
  const head = new Uint8Array(await file.slice(0, 1024 * 1024).arrayBuffer());
  const info = imageInfo(head);
  if (!info) throw new PhotoError('not-image', { tooManyBytes });
  const { width, height } = info;
  const longSide = Math.max(width, height);
  // pixels enough that a decode failure is most likely the browser's memory, not a damaged file
  const huge = width * height > maxSide * maxSide || longSide > 16384;
  const resize = tooManyBytes || !SERVER_FORMATS.has(info.format) || longSide > maxSide;

  let bitmap;
  try {
    if (resize && longSide > maxSide) {
      // decoded straight to the smaller size; the EXIF orientation turns the picture, so the target too
      const scale = maxSide / longSide;
      const turned = info.orientation >= 5;
      const w = Math.max(1, Math.round((turned ? height : width) * scale));
      const h2 = Math.max(1, Math.round((turned ? width : height) * scale));
      bitmap = await createImageBitmap(file, { resizeWidth: w, resizeHeight: h2, resizeQuality: 'high' });
      if (bitmap.width !== w) {
        // this browser resizes before it turns the picture: the other way round
        bitmap.close();
        bitmap = await createImageBitmap(file, { resizeWidth: h2, resizeHeight: w, resizeQuality: 'high' });
      }
    } else {
      bitmap = await createImageBitmap(file);
    }
  } catch {
    throw new PhotoError(huge ? 'too-large-pixels' : 'unreadable', { tooManyBytes });
  }
  if (!bitmap.width || !bitmap.height) {
    bitmap.close();
    throw new PhotoError('unreadable', { tooManyBytes });
  }
  if (!resize) {
    const result = { file, width: bitmap.width, height: bitmap.height, resized: false };
    bitmap.close();
    return result;
  }

  // a JPEG of the decoded picture, smaller until it fits in maxBytes
  let scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  try {
    for (let round = 0; round < 8; round += 1) {
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      const context = canvas.getContext('2d');
      if (!context) throw new PhotoError('too-large-pixels');
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      for (const quality of [0.9, 0.8]) {
        const blob = await canvasJpeg(canvas, quality);
        if (blob.size <= maxBytes) {
          const name = `${(file.name || 'photo').replace(/\.[^.]*$/, '')}.jpg`;
          return { file: new File([blob], name, { type: 'image/jpeg' }), width: canvas.width, height: canvas.height, resized: true };
        }
      }
      scale *= 0.75;
    }
    throw new PhotoError('too-large-bytes');
  } finally {
    bitmap.close();
  }
}

// the identifier accepted on one page, offered again on the next (this tab only). Only an identifier that was accepted is offered: one the server refused is never put
// back into a form, and the pages do not send the person from one refusal to the other and back.
export const lastIdentifier = {
  get: () => sessionStorage.getItem('facegate.identifier') || '',
  set: (value) => sessionStorage.setItem('facegate.identifier', value),
  clear: () => sessionStorage.removeItem('facegate.identifier'),
};

// this tab's sign-up ended in other_method: /signin then offers no way back to /signup
export const signupRefused = {
  get: () => sessionStorage.getItem('facegate.signupRefused') === '1',
  set: (refused) => (refused ? sessionStorage.setItem('facegate.signupRefused', '1')
    : sessionStorage.removeItem('facegate.signupRefused')),
};
