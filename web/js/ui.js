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

// a downscaled JPEG when a phone photo is too large for the server (5 MB per image)
export async function fitImage(file, { maxBytes = 4.5 * 1024 * 1024, maxSide = 2400 } = {}) {
  if (file.size <= maxBytes) return file;
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
  return new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' });
}

// the identifier typed on one page, offered again on the next (this tab only)
export const lastIdentifier = {
  get: () => sessionStorage.getItem('facegate.identifier') || '',
  set: (value) => sessionStorage.setItem('facegate.identifier', value),
};
