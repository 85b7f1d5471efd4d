/**
 * k6/x/authflow: load and conformance testing of authentication APIs
 * (B2Core client API v2 authentication, Capillary MFA password change).
 *
 * Every request goes through the VU's own HTTP transport and is measured in
 * k6's http_req_* metrics, tagged `name` (a stable template such as
 * "POST /api/v2/my/signin/2fa"), `flow` and `step`. The extension adds:
 *
 * - authflow_flow_duration (Trend, time; tags flow, outcome)
 * - authflow_flows (Counter; tags flow, outcome)
 * - authflow_flow_failed (Rate; tag flow): 1 for outcomes failure, rejected,
 *   otp_rejected and totp_step_used (the flow did not run), 0 for success; lockout and rate_limited are left out
 *   (they are the server's protection working; see authflow_lockouts)
 * - authflow_step_duration (Trend, time; tags step, flow, status)
 * - authflow_lockouts, authflow_rate_limited, authflow_otp_rejected
 *   (Counters; tags flow, step)
 * - authflow_wait_duration (Trend, time; tags flow, reason): the waits the
 *   client chose, never part of a flow or step duration. reason totp_step
 *   (this client already sent the codes of the current and the next TOTP
 *   step for the secret: it sleeps until the next step, unless totpWait is
 *   'fail'), code_poll (the time until an SMS or email code could be read
 *   from the code source), lockout (onLockout 'wait' sleeping Retry-After),
 *   picker (signIn(picker) waiting for a free user, up to maxWait).
 *
 * Sign-in flows are named by the path the server answered: signin (no 2FA),
 * signin_totp, signin_sms, signin_reset; one that ended before the server
 * named its 2FA method is named by the method option or the user's
 * twoFactor field, else signin. The 2FA method is the server's: one its
 * tfaProviders enable (see SignInOptions.method), never guessed from a
 * phone number or a secret. Other flows: refresh, signout, challenge,
 * password_change, password_restore, 2fa_enable_google, 2fa_enable_sms,
 * 2fa_disable, qr_signin, tfa_changes, password_changes,
 * capillary_password_change; steps called on their own have flow "step".
 *
 * No password, code or token is ever put in a tag, a result's reason or a
 * log line. Secret values a script needs (tokens, TOTP keys) are
 * non-enumerable properties: readable, but left out of JSON.stringify().
 *
 * @example
 * import { Client, totp } from 'k6/x/authflow';
 * const client = new Client({ baseURL: 'http://127.0.0.1:8080', codes: { source: 'hooks' } });
 * export default function () {
 *   const r = client.signIn({ email: 'a@example.com', password: 'secret', totpSecret: 'JBSWY3DPEHPK3PXP' });
 *   if (r.ok) client.signOut(r.session);
 * }
 */
declare module 'k6/x/authflow' {
  /** The extension's version. */
  export const version: string;

  /** Every outcome a result can have. */
  export const outcomes: Outcome[];

  /**
   * How a flow or a step ended:
   * - success
   * - lockout: HTTP 429 on a sign-in step (retryAfter tells how long)
   * - rate_limited: HTTP 429 elsewhere (token refresh)
   * - otp_rejected: a 2FA, SMS or email code was refused
   * - rejected: another 4xx (wrong password, dead token)
   * - failure: 5xx, no answer (refused, reset, timeout), a wrong shape or workflow
   * - totp_step_used: with totpWait 'fail', the client would have had to wait
   *   for the next TOTP step; nothing was sent
   */
  export type Outcome = 'success' | 'lockout' | 'rate_limited' | 'otp_rejected' | 'rejected' | 'failure' | 'totp_step_used';

  /** A k6 duration: "10s", "1m30s", "250ms", or a number of milliseconds. */
  export type Duration = string | number;

  /** Expected statuses, as k6's http.expectedStatuses: statuses and ranges. */
  export type ExpectedStatuses = Array<number | { min: number; max: number }>;

  /**
   * A test account, as `authflow serve --users-file` and the hooks write it.
   * The users openUsers(), UserPicker.next() and the hooks hand out are host
   * objects (as k6/http's Response is): they read, write, delete, list and
   * serialize like plain objects, but cannot be frozen or sealed; `{...user}`
   * makes a plain copy. Each is the script's own copy.
   */
  export interface User {
    id?: number;
    email: string;
    password: string;
    /** Base32 TOTP secret (Google Authenticator), or null. */
    totpSecret?: string | null;
    /** E.164 phone of SMS 2FA, or null. */
    phone?: string | null;
    /** Enabled 2FA methods. */
    twoFactor?: Array<'google' | 'sms'>;
    username?: string;
    externalId?: string;
  }

  /** Where SMS and email codes come from. */
  export type CodeSourceOptions =
    | { source: 'hooks'; hooksURL?: string; timeout?: Duration; interval?: Duration }
    | {
        source: 'url';
        /** Template: {to}, {channel} and {since} are replaced (query-escaped). */
        url: string;
        /** Dot path of the code in the JSON answer (default "code"), e.g. "data.code". */
        field?: string;
        /** Dot path of the time the code was sent, to skip older codes. */
        sentAtField?: string;
        headers?: Record<string, string>;
        timeout?: Duration;
        interval?: Duration;
      }
    | { source: 'fixed'; code: string }
    | { source: 'callback'; fn: (to: string, channel: 'sms' | 'email') => string };

  export interface ClientOptions {
    /** The target, e.g. "http://127.0.0.1:8080". Required. */
    baseURL: string;
    /** Which API the client speaks (default 'b2core'). */
    profile?: 'b2core' | 'capillary';
    /** Per-request timeout (default "60s"). */
    timeout?: Duration;
    /** Extra headers on every request. */
    headers?: Record<string, string>;
    /** Extra tags on every metric sample of this client. */
    tags?: Record<string, string>;
    /** The code source; without one, flows that need a code fail with a clear reason. */
    codes?: CodeSourceOptions;
    /**
     * What to do on a lockout or a rate limit (HTTP 429 + Retry-After):
     * 'fail' (default) reports it; 'wait' sleeps Retry-After (at most
     * maxLockoutWait) and runs the flow once more; 'skip' makes
     * signIn(picker) set the user aside and try another one, and never throws.
     */
    onLockout?: 'fail' | 'wait' | 'skip';
    /**
     * When this client already sent the TOTP codes of the current and the
     * next 30-second step for a secret (the server refuses a replay):
     * 'wait' (default) sleeps until the next step, reported as waitedMs and
     * authflow_wait_duration{reason:totp_step}; 'fail' ends the flow at once
     * with outcome totp_step_used.
     */
    totpWait?: 'wait' | 'fail';
    /** Bound of the onLockout 'wait' sleep (default "60s"). */
    maxLockoutWait?: Duration;
    /** Users signIn(picker) tries with onLockout 'skip' (default 3). */
    skipAttempts?: number;
    /** Throw an AuthflowError instead of returning a failed result. */
    throw?: boolean;
    /** User-Agent header and device fingerprint's user_agent (default: k6's). */
    userAgent?: string;
    /** device_fingerprint to send (default: Base64 of {"user_agent": ...}). */
    deviceFingerprint?: string;
    /** Statuses that are not http_req_failed (default 200-399, like k6/http). */
    expectedStatuses?: ExpectedStatuses;
  }

  /** One HTTP request of a call. */
  export interface StepRecord {
    step: string;
    name: string;
    status: number;
    durationMs: number;
  }

  /**
   * The result of every flow and step: a host object, like User (readable,
   * writable and serializable as a plain object, not freezable). Secrets
   * (tokens, keys, the picked user) are readable but never listed, so
   * JSON.stringify(result) never prints one.
   */
  export interface Result {
    ok: boolean;
    /** Flow name ("signin_totp"...), or "step" for a step on its own. */
    flow: string;
    outcome: Outcome;
    /** The last step run (the failing one on failure). */
    step: string;
    /** HTTP status of that step, 0 when no answer came. */
    status: number;
    /**
     * Short, secret-free reason of a failure, in the script's terms, with the
     * server's own message and field errors when it gave them.
     */
    reason: string;
    /** The call's requests plus the client's own work; never a wait (waitedMs). */
    durationMs: number;
    /** The waits the client chose (TOTP step, code polling, Retry-After, picker); 0 when none. */
    waitedMs: number;
    /** Retry-After of a 429, in seconds (0 if none). */
    retryAfter: number;
    steps: StepRecord[];
    /** Set when onLockout 'wait' ran the flow again. */
    attempts?: number;
  }

  /**
   * A signed-in session. Tokens are readable but not enumerable (never in
   * JSON.stringify or console.log); sessions do not survive setup() data.
   */
  export interface Session {
    readonly clientId: number;
    readonly accessToken: string;
    readonly refreshToken: string;
    /** RFC 3339, or null when the server gave none. */
    readonly accessExpiresAt: string | null;
    readonly refreshExpiresAt: string | null;
  }

  /** A session built by the script for its own tokens. */
  export type SessionLike = Session | { accessToken: string; refreshToken?: string; clientId?: number };

  export interface SessionResult extends Result {
    session: Session;
  }

  export interface SignInResult extends SessionResult {
    /** With signIn(picker): the user picked (not enumerable), failed or not. */
    readonly user?: User;
  }

  export interface SignInOptions {
    /**
     * The 2FA method: it must be one the server's tfaProviders enable. Without
     * it: the only enabled one; with both, the one the user's twoFactor
     * names, else google.
     */
    method?: 'google' | 'sms';
    /** Used if the server asks for a reset (reset_password_email): the signin_reset flow. */
    newPassword?: string;
  }

  export interface HistoryQuery {
    limit?: number;
    offset?: number;
    sortBy?: string;
    sortOrder?: 'asc' | 'desc';
    /** 2FA history only. */
    isEnabled?: boolean;
    timeFrom?: Date | string | number;
    timeTo?: Date | string | number;
    provider?: 'google' | 'sms';
  }

  export interface TFAChange {
    id: number;
    provider: string;
    isEnabled: boolean;
    time: string | null;
  }

  export interface PasswordChange {
    id: number;
    type: 'changed' | 'restored';
    createTime: string;
  }

  export interface HistoryResult<T> extends Result {
    total: number;
    items: T[];
  }

  export interface CapillaryOptions {
    identifierType: 'MOBILE' | 'EMAIL' | 'USERNAME' | 'EXTERNALID';
    identifierValue: string;
    deviceId: string;
    brand: string;
    /** Current password. */
    password: string;
  }

  /** Optional last argument of every step. */
  export interface StepParams {
    /** Answers that are not http_req_failed (replaces the default, as in k6/http). */
    expectedStatuses?: ExpectedStatuses;
    /** Extra tags for this step's samples. */
    tags?: Record<string, string>;
  }

  export interface WizardResult extends Result {
    uuid: string;
    workflow: string;
    done: boolean;
  }

  /** Each call of the API on its own. */
  export interface Steps {
    signInWizard(params?: StepParams): WizardResult & {
      recaptcha: boolean;
      isQrAvailable: boolean;
      isPasswordRecoveryAvailable: boolean;
    };
    signIn(uuid: string, email: string, password: string, params?: StepParams): WizardResult & {
      tfaProviders: Array<{ name: string; localizedCaption: string; enabled: boolean }>;
      /** Set when the sign-in ended without 2FA (workflow login). */
      session?: Session;
    };
    choose2FA(uuid: string, type: 'google' | 'sms', params?: StepParams): WizardResult;
    submitCode(uuid: string, type: 'google' | 'sms', code: string, params?: StepParams): WizardResult & { session: Session };
    signInRestore(uuid: string, code: string, params?: StepParams): WizardResult;
    signInReset(uuid: string, newPassword: string, params?: StepParams): WizardResult & { clientId: number };
    /** Updates the session in place. */
    refresh(session: SessionLike, params?: StepParams): SessionResult;
    signOut(session: SessionLike, params?: StepParams): Result;
    qrChannel(params?: StepParams): Result & { channelId: string; lifetimeMinutes: number };
    qrAuthorize(session: SessionLike, channelId: string, params?: StepParams): Result & { readonly authorizationToken: string };
    qrSignIn(authorizationToken: string, params?: StepParams): SessionResult & { clientId: number };
    startChallenge(session: SessionLike, params?: StepParams): Result & { readonly token: string; expiresAt: string };
    startUnauthorizedChallenge(email: string, params?: StepParams): Result & { readonly token: string; expiresAt: string };
    /** The result's token is the success token. */
    completeChallenge(session: SessionLike | null, token: string, code: string, params?: StepParams): Result & {
      readonly token: string;
      expiresAt: string;
    };
    tfaStatus(session: SessionLike, params?: StepParams): HistoryResult<{ caption: string; isEnabled: boolean; name: string }>;
    tfaMethod(session: SessionLike, provider: 'google' | 'sms', params?: StepParams): Result & {
      method: { caption: string; isEnabled: boolean; name: string };
    };
    tfaEnableWizard(session: SessionLike, provider: 'google' | 'sms', params?: StepParams): WizardResult & { readonly key?: string };
    tfaDisableWizard(session: SessionLike, provider: 'google' | 'sms', params?: StepParams): WizardResult;
    tfaWizard(
      session: SessionLike,
      request: { uuid: string; action?: string; code?: string; key?: string; phone?: string },
      params?: StepParams,
    ): WizardResult;
    tfaChanges(session: SessionLike, query?: HistoryQuery, params?: StepParams): HistoryResult<TFAChange>;
    tfaChange(session: SessionLike, id: number, params?: StepParams): Result & { item: TFAChange };
    changePassword(session: SessionLike, successToken: string, newPassword: string, params?: StepParams): Result;
    restorePassword(successToken: string, newPassword: string, params?: StepParams): Result;
    passwordChanges(session: SessionLike, query?: HistoryQuery, params?: StepParams): HistoryResult<PasswordChange>;
    passwordChange(session: SessionLike, id: number, params?: StepParams): Result & { item: PasswordChange };
    /** Reads the code last sent to `to` from the client's code source (no API call). */
    readCode(to: string, channel: 'sms' | 'email', since?: Date | string | number, params?: StepParams): Result & {
      readonly code: string;
    };
    /** Capillary profile. */
    capillaryValidate(options: CapillaryOptions, params?: StepParams): Result & { readonly token: string };
    /** Capillary profile. */
    capillaryChange(options: CapillaryOptions & { newPassword: string; token: string }, params?: StepParams): Result;
  }

  /** A client bound to one target. Create it in the init context or per VU; requests only in the VU context. */
  export class Client {
    constructor(options: ClientOptions);
    readonly baseURL: string;
    readonly profile: 'b2core' | 'capillary';
    readonly steps: Steps;

    /**
     * Wizard → signin → 2FA choice → TOTP or SMS code → tokens (or the Sign In
     * page reset when the server asks for it and newPassword is given). With a
     * UserPicker, a user is picked and released with the result.
     */
    signIn(user: User | UserPicker, options?: SignInOptions): SignInResult;
    /** Rotates the session's tokens in place. */
    refresh(session: SessionLike): SessionResult;
    signOut(session: SessionLike): Result;
    /** A 2FA challenge (code by email) to a success token, signed in or (session null) not. */
    challenge(session: SessionLike | null, email: string): Result & { readonly token: string };
    changePassword(session: SessionLike, email: string, newPassword: string): Result;
    restorePassword(email: string, newPassword: string): Result;
    /** The new base32 secret is result.secret. */
    enableGoogle(session: SessionLike): Result & { readonly secret: string };
    enableSMS(session: SessionLike, phone: string): Result;
    /**
     * The user's email and the method's own credential: totpSecret (google)
     * or phone (sms); no password. A whole User does too.
     */
    disable2FA(session: SessionLike, provider: 'google' | 'sms', user: Pick<User, 'email'> & Partial<User>): Result;
    /** Signs a new session in through a QR channel authorized by a signed-in mobile session. */
    qrSignIn(mobileSession: SessionLike): SessionResult & { clientId: number };
    tfaChanges(session: SessionLike, query?: HistoryQuery): HistoryResult<TFAChange>;
    passwordChanges(session: SessionLike, query?: HistoryQuery): HistoryResult<PasswordChange>;
    /** Capillary profile: validate, then change. */
    capillaryChangePassword(options: CapillaryOptions & { newPassword: string }): Result;
  }

  /** The error thrown with `throw: true`. */
  export interface AuthflowError extends Error {
    name: 'AuthflowError';
    flow: string;
    step: string;
    status: number;
    outcome: Outcome;
    result: Result;
  }

  /** RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret, now or at a Date or Unix seconds. */
  export function totp(secret: string, at?: Date | number): string;

  /**
   * Loads a user file (JSON array, or CSV with a header row: email, password,
   * totpSecret, phone, twoFactor, id, username, externalId) once per test run,
   * shared read-only by every VU. Init context only; relative paths resolve
   * from the script. twoFactor is none, google, sms, google+sms or both
   * (absent or empty: none; never guessed from a phone). Unknown fields or
   * columns are refused by name. With `--execution-segment` on k6's command
   * line, only that segment's slice of the file is kept.
   */
  export function openUsers(path: string): ReadonlyArray<User>;

  /** A lockout or refresh rate-limit policy. */
  export interface Limit {
    attempts: number;
    windowSeconds: number;
    blockSeconds: number;
  }

  export interface UserPickerOptions {
    /** Shares the picker state between VUs (default: the file's path, or "default"). */
    name?: string;
    /** The server's sign-in lockout policy (default 5 per 60 s, 600 s block). */
    policy?: Limit;
    /** Sign-ins per second the test aims at: warns once if the pool is too small. */
    rate?: number;
    /** Honour TOTP replay protection for users with a totpSecret (default true). */
    totp?: boolean;
    /** Keep only the users of one 2FA kind (default 'any'). */
    twoFactor?: 'any' | 'none' | 'google' | 'sms' | 'both';
    /** How long a picked user stays reserved unless released (default "60s"). */
    lease?: Duration;
    /**
     * How long next() waits for a user (default "30s"), to the millisecond;
     * then it returns null. It returns null at once when no user could be
     * free by then even if every lease ended.
     */
    maxWait?: Duration;
  }

  export interface UserPickerStats {
    size: number;
    available: number;
    leased: number;
    blocked: number;
    totpWait: number;
    /** Picks per second over the last 30 s. */
    rate: number;
  }

  /**
   * Hands each iteration a user who can succeed now, across all VUs: a user
   * who completed a TOTP sign-in waits for the next 30-second step, a
   * locked-out user waits for its block to end. Warns once when the pool is
   * too small (about 30 users per TOTP sign-in per second, plus margin).
   */
  export class UserPicker {
    constructor(users: ReadonlyArray<User>, options?: UserPickerOptions);
    readonly size: number;
    readonly name: string;
    /** A user who can sign in now, or null if none becomes available within maxWait. */
    next(): User | null;
    /**
     * Ends the reservation and records how the flow ended: a lockout blocks
     * the user; a refused password or code counts toward the policy; the
     * user's TOTP step is spent only if the flow sent a TOTP code.
     */
    release(user: User, result?: Result | Outcome, retryAfterSeconds?: number): boolean;
    /** Replaces the stored copy of a user (matched by email), e.g. after a password change. */
    update(user: User): boolean;
    stats(): UserPickerStats;
  }

  export interface SessionPoolOptions {
    /** Shares the pool between VUs (default "default"). */
    name?: string;
    /** Sessions kept (default 10, at most the number of users). */
    size?: number;
    /** Refresh this long before the access token expires (default "60s"). */
    refreshBefore?: Duration;
    /** The server's refresh rate limit per client (default 5 per 60 s). */
    refreshPolicy?: Limit;
    /** 2FA method of the pool's sign-ins. */
    method?: 'google' | 'sms';
    /** Lockout policy of the picker made for a users array. */
    policy?: Limit;
  }

  /**
   * Signed-in sessions shared across VUs. A session from get() is in use by
   * the VU until its next get() or release(); it is refreshed only when no
   * VU uses it (a refresh kills the old access token).
   */
  export class SessionPool {
    constructor(client: Client, users: ReadonlyArray<User> | UserPicker, options?: SessionPoolOptions);
    readonly size: number;
    readonly name: string;
    /** A valid session, or null (throws with the client's throw: true). */
    get(): Session | null;
    /** Ends this VU's use of the session get() gave it. */
    release(): void;
    /** Removes a session (e.g. after signing it out). */
    discard(session: Session): boolean;
    stats(): { size: number; sessions: number; pending: number };
  }

  export interface Message {
    to: string;
    channel: 'sms' | 'email';
    /** Not enumerable. */
    readonly code: string;
    sentAt: string;
  }

  export interface Policy {
    signin: Limit;
    refresh: Limit;
  }

  /**
   * The test hooks (contract v1, test deployments only): fresh accounts, the
   * codes sent, the lockout policy. Not measured in http_req_*. Failures throw.
   */
  export class Hooks {
    constructor(url: string, options?: { timeout?: Duration });
    readonly url: string;
    createClient(options?: { twoFactor?: Array<'google' | 'sms'>; resetRequired?: boolean }): User;
    createClients(n: number, options?: { twoFactor?: Array<'google' | 'sms'>; resetRequired?: boolean }): User[];
    /** The last code sent to an email or phone, or null. */
    latestMessage(to: string): Message | null;
    /** The client's next sign-in answers reset_password_email. */
    markResetRequired(id: number): void;
    getPolicy(): Policy;
    /** Changes the policy; a part left out is kept. Returns the policy in force. */
    setPolicy(policy: Partial<Policy>): Policy;
    /** Whether the hooks answer. */
    available(): boolean;
  }
}
