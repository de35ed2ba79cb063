// Type declarations of facegate's drop-in SDK, /sdk/facegate.js (docs/sessions.md).
//
//   // in a TypeScript project: declare the module once, pointing at these declarations
//   declare module 'https://facegate.example.com/sdk/facegate.js' {
//     export * from './facegate';           // this file, saved beside it
//     export { default } from './facegate';
//   }

/** The end of a verification session, as the hosted page reports it. */
export interface FacegateResult {
  /** fgs_...: the session the application's backend created */
  sessionId: string;
  /** 'completed'; 'expired' or 'canceled' when the session could not take a capture any more */
  status: 'completed' | 'expired' | 'canceled' | (string & {});
  /** the public outcome once completed: 'accepted', 'retry' (attempts used up) or 'other_method'; else null */
  outcome: 'accepted' | 'retry' | 'other_method' | null;
  /**
   * The signed result (a compact JWS, ES256) once completed, else null. Send it to your backend, which
   * verifies it against /.well-known/jwks.json and checks iss, aud (your key id), sid, sub and exp:
   * never decide on it in the browser.
   */
  resultToken: string | null;
}

export type FacegateErrorCode = 'closed' | 'invalid_client_secret' | 'busy';

export declare class FacegateError extends Error {
  readonly name: 'FacegateError';
  readonly code: FacegateErrorCode;
  readonly sessionId: string | null;
  constructor(code: FacegateErrorCode, message: string, sessionId?: string | null);
}

export interface FacegateOpenOptions {
  /** fgcs_...: the session's client secret from POST /v1/sessions, handed to this page by your backend */
  clientSecret: string;
  /** called when the session ends (the promise resolves with the same result) */
  onComplete?: (result: FacegateResult) => void;
  /** called when the person closes the modal before the end (the promise rejects with code 'closed') */
  onCancel?: (info: { sessionId: string }) => void;
  /** called when the modal cannot open (the promise rejects with the same error) */
  onError?: (error: FacegateError) => void;
  /** milliseconds the modal stays after a completed session, for the person to read the outcome; false: until closed. Default 1500 */
  closeDelay?: number | false;
  /** the dialog's accessible name and visible title. Default 'Identity verification' */
  title?: string;
}

/** Opens the verification modal; resolves when the session ends, rejects with FacegateError 'closed' when the person closes it first. */
export declare function open(options: FacegateOpenOptions): Promise<FacegateResult>;

/** Closes the modal on screen, as the person would. */
export declare function close(): void;

/** The session id (fgs_...) a client secret belongs to, or null when it is not a client secret. */
export declare function sessionIdOf(clientSecret: string): string | null;

declare const facegate: {
  open: typeof open;
  close: typeof close;
  sessionIdOf: typeof sessionIdOf;
  FacegateError: typeof FacegateError;
  /** the facegate origin this SDK was loaded from, where the modal's iframe points */
  origin: string;
};
export default facegate;
