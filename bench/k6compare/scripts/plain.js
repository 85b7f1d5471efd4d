// Variant (b) of the k6 comparison: the same sign-in + Google TOTP flow in
// plain k6 JavaScript, as a k6 user would write it without the extension:
// k6/http, a SharedArray of users, RFC 6238 TOTP with k6/crypto's HMAC-SHA1,
// each JSON answer parsed and its workflow checked as b2core does (status,
// code, done, workflow, uuid, both tokens at the end). See common.js for the
// environment.
import http from 'k6/http';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import { BASE_URL, USERS_FILE, USER_AGENT, benchOptions } from './common.js';

export const options = benchOptions();

const users = new SharedArray('users', () => JSON.parse(open(USERS_FILE)));
const API = BASE_URL + '/api/v2/my';
const FINGERPRINT = encoding.b64encode(JSON.stringify({ user_agent: USER_AGENT }));
const GET_PARAMS = { headers: { Accept: 'application/json' }, tags: { name: 'GET /api/v2/my/signin/wizard' } };
function postParams(name) {
  return { headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, tags: { name } };
}
const SIGNIN = postParams('POST /api/v2/my/signin');
const CHOOSE = postParams('POST /api/v2/my/signin/2fa');
const GOOGLE = postParams('POST /api/v2/my/2fa/google');

// ---- RFC 6238 TOTP (SHA-1, 6 digits, 30 s) ----

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B32_VALUE = {};
for (let i = 0; i < B32.length; i++) B32_VALUE[B32[i]] = i;

function base32Decode(s) {
  s = s.toUpperCase().replace(/[\s=]/g, '');
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B32_VALUE[s[i]];
    if (v === undefined) throw new Error('bad base32 secret');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out[j++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out.buffer;
}

function totp(secret) {
  const counter = Math.floor(Date.now() / 1000 / 30);
  const msg = new ArrayBuffer(8);
  const dv = new DataView(msg);
  dv.setUint32(0, Math.floor(counter / 0x100000000));
  dv.setUint32(4, counter >>> 0);
  const mac = new Uint8Array(crypto.hmac('sha1', base32Decode(secret), msg, 'binary'));
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1000000).padStart(6, '0');
}

// ---- the flow ----

// answer parses a wizard answer and checks it: status, code, done, workflow.
function answer(res, status, code, done, workflow) {
  if (res.status !== status) return null;
  let w;
  try {
    w = res.json();
  } catch (e) {
    return null;
  }
  if (!w || typeof w !== 'object' || w.done !== done || (w.code && w.code !== code) || w.workflow !== workflow) return null;
  return w;
}

function fail(step, res) {
  console.warn(`flow failed at ${step}: HTTP ${res.status} ${res.error || ''}`);
  return false;
}

function signIn(u) {
  let res = http.get(`${API}/signin/wizard`, GET_PARAMS);
  let w = answer(res, 200, 200, false, 'login');
  if (!w || !w.uuid) return fail('signin_wizard', res);
  let uuid = w.uuid;

  res = http.post(`${API}/signin`, JSON.stringify({ uuid, email: u.email, password: u.password, device_fingerprint: FINGERPRINT }), SIGNIN);
  w = answer(res, 200, 200, false, '2fa');
  if (!w) return fail('signin', res);
  if (w.uuid) uuid = w.uuid;

  res = http.post(`${API}/signin/2fa`, JSON.stringify({ uuid, type: 'google' }), CHOOSE);
  w = answer(res, 200, 200, false, '2fa_google_auth');
  if (!w) return fail('signin_2fa', res);
  if (w.uuid) uuid = w.uuid;

  res = http.post(`${API}/2fa/google`, JSON.stringify({ uuid, code: totp(u.totpSecret) }), GOOGLE);
  w = answer(res, 202, 202, true, 'login');
  const d = w && w.data;
  if (!d || !d.accessToken || !d.accessToken.token || !d.refreshToken || !d.refreshToken.token) return fail('2fa_google', res);
  return true;
}

export default function () {
  const ok = signIn(users[exec.scenario.iterationInTest]);
  check(ok, { 'signed in with TOTP': (x) => x === true });
}
