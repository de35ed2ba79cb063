// /s/{id}: the hosted page's entry point (see hosted.js)
import { openHostedSession } from './hosted.js';

openHostedSession(document.querySelector('#session-card'));
