// The plain k6 JavaScript twin of scenarios/soak.js for the soak comparison
// (bench/soak), written as a k6 user would write it without the extension:
// the same session life cycle (GET signin/wizard, POST signin, POST refresh,
// GET 2fa/changes?limit=5, GET password/changes?limit=5, POST signout) with
// k6/http, the users of the same file in a SharedArray, each answer parsed
// and checked, at the same constant arrival rate with the same VU ceiling.
// soak.js signs in users without 2FA, so there is no TOTP here.
//
// Environment (as scenarios/lib/config.js reads it): AUTHFLOW_BASE_URL,
// AUTHFLOW_USERS (a file of `authflow serve --users-file`), AUTHFLOW_RATE,
// AUTHFLOW_DURATION, AUTHFLOW_MAX_VUS, AUTHFLOW_STEP_P95_MS.
import http from 'k6/http';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { check } from 'k6';
import { SharedArray } from 'k6/data';

const BASE = (__ENV.AUTHFLOW_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const API = `${BASE}/api/v2/my`;
const RATE = Number(__ENV.AUTHFLOW_RATE || 5);
const MAX_VUS = Number(__ENV.AUTHFLOW_MAX_VUS || 50);
const STEP_P95 = Number(__ENV.AUTHFLOW_STEP_P95_MS || 250);

const users = new SharedArray('users', () =>
  JSON.parse(open(__ENV.AUTHFLOW_USERS)).filter((u) => !u.twoFactor || u.twoFactor.length === 0));

const STEPS = ['signin_wizard', 'signin', 'refresh', '2fa_changes', 'password_changes', 'signout'];
// The SLA of soak.js in k6/http terms: failed requests, and the p95 of each step.
const thresholds = { http_req_failed: ['rate<=0.05'] };
for (const s of STEPS) thresholds[`http_req_duration{name:${s}}`] = [`p(95)<${STEP_P95}`];

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate', exec: 'soak', rate: Math.max(1, Math.round(RATE)), timeUnit: '1s',
      duration: __ENV.AUTHFLOW_DURATION || '20s', preAllocatedVUs: Math.min(MAX_VUS, Math.max(2, Math.ceil(RATE))), maxVUs: MAX_VUS,
    },
  },
  thresholds,
};

const FINGERPRINT = encoding.b64encode(JSON.stringify({ user_agent: 'k6' }));
const JSON_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };
const params = (name, token) => ({
  headers: token ? Object.assign({ Authorization: `Bearer ${token}` }, JSON_HEADERS) : JSON_HEADERS,
  tags: { name },
});

function body(res) {
  try {
    return res.json();
  } catch (e) {
    return null;
  }
}

const hasTokens = (t) => !!(t && t.accessToken && t.accessToken.token && t.refreshToken && t.refreshToken.token);

function signIn(u) {
  let res = http.get(`${API}/signin/wizard`, params('signin_wizard'));
  let w = body(res);
  if (!check(res, { 'wizard started': (r) => r.status === 200 && w && w.workflow === 'login' && !!w.uuid })) return null;
  res = http.post(`${API}/signin`, JSON.stringify({ uuid: w.uuid, email: u.email, password: u.password, device_fingerprint: FINGERPRINT }),
    params('signin'));
  w = body(res);
  // The final answer of the wizard is a 200 or a 202 (the documents show both).
  if (!check(res, { 'signed in': (r) => (r.status === 200 || r.status === 202) && w && w.done === true && w.workflow === 'login' && hasTokens(w.data) })) return null;
  return w.data;
}

export function soak() {
  const u = users[exec.scenario.iterationInTest % users.length];
  let t = signIn(u);
  if (!t) return;
  const res = http.post(`${API}/refresh`, JSON.stringify({ refreshToken: t.refreshToken.token }), params('refresh'));
  const nt = body(res);
  if (check(res, { 'refreshed': (r) => r.status === 200 && hasTokens(nt) })) t = nt;
  const bearer = t.accessToken.token;
  const tfa = http.get(`${API}/2fa/changes?limit=5`, params('2fa_changes', bearer));
  check(tfa, { '2fa history': (r) => r.status === 200 && Array.isArray((body(r) || {}).data) });
  const pw = http.get(`${API}/password/changes?limit=5`, params('password_changes', bearer));
  check(pw, { 'password history': (r) => r.status === 200 && Array.isArray((body(r) || {}).data) });
  check(http.post(`${API}/signout`, null, params('signout', bearer)), { 'signed out': (r) => r.status >= 200 && r.status < 300 });
}
