// The advice codes of the public result (docs/api-v1.md, "Public result"): what was wrong with the
// picture the person took, in plain language, and what to do about it. They are the only codes the demo
// session receives: whatever concerns identities (an unknown identifier, someone else's face, a face or
// an identifier already registered) comes as the outcome `other_method`, with no code and no words here,
// so that the pages cannot tell anyone who is registered. No text here holds a digit: the result area
// of the pages shows no number at all.

// on /signup the picture is of an ID document
const DOCUMENT = {
  NO_FACE: {
    text: 'We could not find the portrait on the document.',
    advice: 'Photograph the page or side with your portrait, with the whole document in the picture.',
  },
  DOCUMENT_SIDE_WITHOUT_PORTRAIT: {
    text: 'This side of the document has no portrait.',
    advice: 'Turn the card over and photograph the side with your photo.',
  },
  MULTIPLE_FACES: {
    text: 'There was more than one face in the picture.',
    advice: 'Only the document should be in the picture: no other photos or people.',
  },
  FACE_TOO_SMALL: {
    text: 'The portrait on the document was too small to read.',
    advice: 'Hold the camera closer, so that the document fills the picture.',
  },
  SMALL_BOUNDING_BOX: {
    text: 'The portrait on the document was too small to read.',
    advice: 'Hold the camera closer, so that the document fills the picture.',
  },
  LOW_QUALITY: {
    text: 'The picture was not clear enough.',
    advice: 'Take it in even light, without glare on the document, holding the camera still.',
  },
  TOO_DARK: {
    text: 'The picture was too dark.',
    advice: 'Photograph the document in better light, near a window or a lamp.',
  },
  LOW_BRIGHTNESS: {
    text: 'The picture was too dark.',
    advice: 'Photograph the document in better light, near a window or a lamp.',
  },
  TOO_BRIGHT: {
    text: 'The picture was too bright, or had glare on it.',
    advice: 'Move out of direct light and tilt the document a little so that it does not reflect.',
  },
  BLURRY: {
    text: 'The picture was blurred.',
    advice: 'Hold the camera still, let it focus, and wipe the lens.',
  },
  LOW_SHARPNESS: {
    text: 'The picture was blurred.',
    advice: 'Hold the camera still, let it focus, and wipe the lens.',
  },
  EXTREME_POSE: {
    text: 'The document was photographed at too steep an angle.',
    advice: 'Lay it flat and hold the camera straight above it.',
  },
  EYES_CLOSED: {
    text: 'We could not read the portrait on the document well enough.',
    advice: 'Photograph the page with your portrait, sharp and without glare.',
  },
  NOT_LIVE: {
    text: 'We could not use this picture.',
    advice: 'Photograph the document itself, not a screen or a copy of it.',
  },
  NO_DOCUMENT: {
    text: 'We could not find an ID document in the picture.',
    advice: 'Put the document on a plain surface and photograph all of it, with every corner visible.',
  },
  LOW_DOCUMENT_CONFIDENCE: {
    text: 'We could not recognise this as an ID document.',
    advice: 'Use a passport or an ID card, photographed flat and whole.',
  },
  MRZ_UNREADABLE: {
    text: 'We could not read the machine-readable lines (the rows of letters and <<< at the bottom).',
    advice: 'Make sure those lines are sharp, in the picture and not covered by a finger or glare.',
  },
  MRZ_CHECK_FAILED: {
    text: 'We could not read every character of the machine-readable lines.',
    advice: 'Take a sharper picture so that every character can be read, or use another document.',
  },
  DOCUMENT_EXPIRED: {
    text: 'This document has expired.',
    advice: 'Use a document that is still valid.',
  },
};

// on /signin the picture is a selfie
const SELFIE = {
  NO_FACE: {
    text: 'We could not see a face in the photo.',
    advice: 'Put your face inside the oval, with nothing covering it.',
  },
  MULTIPLE_FACES: {
    text: 'There was more than one face in the photo.',
    advice: 'Make sure only one face is in the picture: yours.',
  },
  FACE_TOO_SMALL: {
    text: 'Your face was too far from the camera.',
    advice: 'Come closer, so that your face fills the oval.',
  },
  SMALL_BOUNDING_BOX: {
    text: 'Your face was too far from the camera.',
    advice: 'Come closer, so that your face fills the oval.',
  },
  NOT_LIVE: {
    text: 'We could not confirm that a live person was in front of the camera.',
    advice: 'Show your own face to the camera, not a photo or a screen, and hold still in good light.',
  },
  LOW_QUALITY: {
    text: 'The photo was not clear enough.',
    advice: 'Find more light, look straight at the camera and hold still.',
  },
  TOO_DARK: {
    text: 'The photo was too dark.',
    advice: 'Find more light: face a window or a lamp.',
  },
  LOW_BRIGHTNESS: {
    text: 'The photo was too dark.',
    advice: 'Find more light: face a window or a lamp.',
  },
  TOO_BRIGHT: {
    text: 'The photo was too bright.',
    advice: 'Move out of direct sunlight or away from a strong lamp.',
  },
  BLURRY: {
    text: 'The photo was blurred.',
    advice: 'Hold the phone still, and wipe the camera lens.',
  },
  LOW_SHARPNESS: {
    text: 'The photo was blurred.',
    advice: 'Hold the phone still, and wipe the camera lens.',
  },
  EXTREME_POSE: {
    text: 'Your head was turned away from the camera.',
    advice: 'Look straight at the camera.',
  },
  EYES_CLOSED: {
    text: 'Your eyes were closed.',
    advice: 'Keep your eyes open and look at the camera.',
  },
  NO_DOCUMENT: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
  LOW_DOCUMENT_CONFIDENCE: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
  MRZ_UNREADABLE: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
  MRZ_CHECK_FAILED: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
  DOCUMENT_EXPIRED: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
  DOCUMENT_SIDE_WITHOUT_PORTRAIT: {
    text: 'The photo could not be used.',
    advice: 'Take a photo of your face only.',
  },
};

// when a server newer than these pages sends a code they do not know: general advice, never the code
const UNKNOWN = {
  text: 'The picture could not be used.',
  advice: 'Take another one in good light, holding the camera still.',
};

// the specific quality codes say more than the generic one: LOW_QUALITY is shown only alone
const QUALITY_DETAILS = new Set(['TOO_DARK', 'TOO_BRIGHT', 'BLURRY', 'EXTREME_POSE', 'EYES_CLOSED', 'LOW_BRIGHTNESS',
  'LOW_SHARPNESS']);

function describe(table, codes) {
  const list = Array.isArray(codes) ? codes.filter((c) => typeof c === 'string') : [];
  const hasDetail = list.some((c) => QUALITY_DETAILS.has(c));
  const described = [];
  const seen = new Set();
  for (const code of list) {
    if (hasDetail && code === 'LOW_QUALITY') continue;
    const known = Object.hasOwn(table, code) ? table[code] : null;
    const { text, advice } = known || UNKNOWN;
    // two codes that say the same (TOO_DARK and LOW_BRIGHTNESS) are one line
    if (seen.has(text)) continue;
    seen.add(text);
    described.push({ code: known ? code : 'UNKNOWN', text, advice, severity: 'warn' });
  }
  return described;
}

// what to fix in the photo of the document (/signup)
export function documentAdvice(codes) {
  return describe(DOCUMENT, codes);
}

// what to fix in the selfie (/signin)
export function selfieAdvice(codes) {
  return describe(SELFIE, codes);
}

// every code the pages have words for, for the tests and for anyone checking the list against the docs
export const KNOWN_DOCUMENT_ADVICE = Object.keys(DOCUMENT);
export const KNOWN_SELFIE_ADVICE = Object.keys(SELFIE);

// the public result of /v1/register and /v1/verify for the demo session:
// {"decision": "accepted"|"rejected", "outcome": "accepted"|"retry"|"other_method", "advice": [codes]}.
// Anything else in it is ignored; an outcome these pages do not know is read from the decision and the
// advice, never from other fields
export function publicOutcome(result) {
  const r = result && typeof result === 'object' ? result : {};
  const advice = Array.isArray(r.advice) ? r.advice.filter((c) => typeof c === 'string') : [];
  let outcome = r.outcome;
  if (!['accepted', 'retry', 'other_method'].includes(outcome)) {
    if (r.decision === 'accepted') outcome = 'accepted';
    else outcome = advice.length ? 'retry' : 'other_method';
  }
  return { outcome, advice: outcome === 'retry' ? advice : [] };
}

// ---- the console (/admin): every reason of the audit log in plain words, the code shown beside ----
// Unlike the public pages, the console (admin key) sees the reasons about identities too.
const CONSOLE = {
  NO_FACE: 'No face found',
  MULTIPLE_FACES: 'More than one face',
  FACE_TOO_SMALL: 'Face too small',
  SMALL_BOUNDING_BOX: 'Face too small',
  LOW_QUALITY: 'Picture quality too low',
  TOO_DARK: 'Too dark',
  LOW_BRIGHTNESS: 'Too dark',
  TOO_BRIGHT: 'Too bright or glare',
  BLURRY: 'Blurred',
  LOW_SHARPNESS: 'Blurred',
  EXTREME_POSE: 'Head turned away',
  EYES_CLOSED: 'Eyes closed',
  NOT_LIVE: 'Not a live person (photo or screen?)',
  NO_DOCUMENT: 'No ID document found',
  LOW_DOCUMENT_CONFIDENCE: 'Not recognised as an ID document',
  DOCUMENT_SIDE_WITHOUT_PORTRAIT: 'Document side without the portrait',
  MRZ_UNREADABLE: 'Machine-readable zone not read',
  MRZ_CHECK_FAILED: 'Machine-readable zone check digits wrong',
  DOCUMENT_EXPIRED: 'Document expired',
  DUPLICATE_FACE: 'Face already registered under another identifier',
  EXTERNAL_ID_EXISTS: 'Identifier already registered',
  EXTERNAL_ID_OTHER_FACE: 'Not the face registered under this identifier',
  UNKNOWN_EXTERNAL_ID: 'Identifier not registered',
  LOW_CONFIDENCE: 'Face does not match closely enough',
  BETTER_MATCH_OTHER_USER: 'Face matches another identifier better',
  RATE_LIMITED: 'Too many attempts (rate limit)',
  EXCEEDS_MAX_FACES: 'Too many faces for this identifier',
  FACE_NOT_LARGEST: 'Not the largest face in the picture',
};

export const KNOWN_CONSOLE_REASONS = Object.keys(CONSOLE);

// {code, text}: the words of a reason for the console; a code it does not know is shown as it is
export function consoleReason(code) {
  const key = String(code);
  return { code: key, text: Object.hasOwn(CONSOLE, key) ? CONSOLE[key] : key };
}
