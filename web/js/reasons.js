// The reason codes of /v1/register and /v1/verify (docs/api-v1.md) in plain language:
// what happened, and what the person can do about it. Severity: "bad" stops the flow,
// "warn" is worth knowing, "info" is only news.

const REGISTER = {
  NO_FACE: {
    text: 'We could not find a face on the document.',
    advice: 'Photograph the page or side with your portrait, with the whole document in the picture.',
  },
  MULTIPLE_FACES: {
    text: 'We found more than one face in the picture.',
    advice: 'Only the document should be in the picture: no other photos or people.',
  },
  FACE_TOO_SMALL: {
    text: 'The portrait on the document is too small for us to read.',
    advice: 'Hold the camera closer, so that the document fills the picture.',
  },
  LOW_QUALITY: {
    text: 'The portrait on the document is too dark, too bright or blurred.',
    advice: 'Take the picture in even light, without glare on the document, holding the camera still.',
  },
  NO_DOCUMENT: {
    text: 'We could not find an ID document in the picture.',
    advice: 'Put the document on a plain surface and photograph all of it, all four corners visible.',
  },
  LOW_DOCUMENT_CONFIDENCE: {
    text: 'We are not sure enough that this is an ID document.',
    advice: 'Use a passport or an ID card, photographed flat and whole.',
  },
  MRZ_UNREADABLE: {
    text: 'We could not read the machine-readable lines (the rows of letters and <<< at the bottom).',
    advice: 'Make sure those lines are sharp, in the picture and not covered by a finger or glare.',
  },
  MRZ_CHECK_FAILED: {
    text: 'The machine-readable lines did not add up: their check digits are wrong.',
    advice: 'Take a sharper picture so that every character can be read, or use another document.',
  },
  DOCUMENT_EXPIRED: {
    text: 'This document has expired.',
    advice: 'Use a document that is still valid.',
  },
  DUPLICATE_FACE: {
    text: 'This face is already registered.',
    advice: 'If you have signed up before, sign in instead.',
    severity: 'warn',
  },
  EXTERNAL_ID_EXISTS: {
    text: 'This identifier was already registered: the new photo was added to it.',
    advice: '',
    severity: 'info',
  },
};

const VERIFY = {
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
  NOT_LIVE: {
    text: 'We could not confirm that this was a live person rather than a photo or a screen.',
    advice: 'Show your own face to the camera, not a picture of it, and try again.',
  },
  LOW_QUALITY: {
    text: 'The photo was not clear enough.',
    advice: 'Find more light, look straight at the camera and hold still.',
  },
  TOO_DARK: {
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
  EXTREME_POSE: {
    text: 'Your head was turned away from the camera.',
    advice: 'Look straight at the camera.',
  },
  EYES_CLOSED: {
    text: 'Your eyes were closed.',
    advice: 'Keep your eyes open and look at the camera.',
  },
  UNKNOWN_EXTERNAL_ID: {
    text: 'Nobody is registered under this identifier.',
    advice: 'Check how you typed it, or sign up first.',
  },
  LOW_CONFIDENCE: {
    text: 'Your face did not match the one registered for this identifier closely enough.',
    advice: 'Try again with more light, looking straight at the camera. If this is not your identifier, use your own.',
  },
  BETTER_MATCH_OTHER_USER: {
    text: 'This face matches someone else registered here better than this identifier.',
    advice: 'Make sure you are signing in with your own identifier.',
  },
};

// the quality details that say which kind of LOW_QUALITY it was
const QUALITY_DETAILS = new Set(['TOO_DARK', 'TOO_BRIGHT', 'BLURRY', 'EXTREME_POSE', 'EYES_CLOSED']);

function describe(table, codes) {
  const list = Array.isArray(codes) ? codes : [];
  // the specific quality reasons say more than the generic one: show LOW_QUALITY only alone
  const hasDetail = list.some((c) => QUALITY_DETAILS.has(c));
  return list
    .filter((code) => !(hasDetail && code === 'LOW_QUALITY' && table === VERIFY))
    .map((code) => {
      const known = table[code];
      if (!known) return { code, text: `Reason: ${code}.`, advice: '', severity: 'bad' };
      return { code, text: known.text, advice: known.advice, severity: known.severity || 'bad' };
    });
}

export function registerReasons(codes) {
  return describe(REGISTER, codes);
}

export function verifyReasons(codes) {
  return describe(VERIFY, codes);
}

// every code the pages know, for the tests and for anyone checking the list against the docs
export const KNOWN_REGISTER_REASONS = Object.keys(REGISTER);
export const KNOWN_VERIFY_REASONS = Object.keys(VERIFY);
