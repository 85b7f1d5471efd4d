// Smoke test: every flow of k6/x/authflow once, against a test deployment
// (the reference server: `authflow serve`). With no server answering, it
// checks the extension's own surface and exits cleanly (the `xk6 lint`
// smoke check runs it that way).
import { check, fail } from 'k6';
import { Client, UserPicker, SessionPool, totp, version, outcomes } from 'k6/x/authflow';
import { BASE_URL, hooks, client, baseThresholds } from './lib/env.js';

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: baseThresholds,
};

export function setup() {
  if (!hooks.available()) {
    console.warn(`authflow smoke: no test hooks at ${hooks.url}; checking the extension offline only`);
    return { offline: true };
  }
  return {
    plain: hooks.createClient({ twoFactor: [] }),
    google: hooks.createClient({ twoFactor: ['google'] }),
    sms: hooks.createClient({ twoFactor: ['sms'] }),
    both: hooks.createClient({ twoFactor: ['google', 'sms'] }),
    reset: hooks.createClient({ twoFactor: [], resetRequired: true }),
    capillary: hooks.createClient({ twoFactor: [] }),
  };
}

function offline() {
  check(null, {
    'version is set': () => typeof version === 'string' && version.length > 0,
    'outcomes are listed': () => outcomes.indexOf('lockout') >= 0,
    'totp makes RFC 6238 codes': () => totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59) === '287082',
    'an unreachable target is a failed result, not an exception': () => {
      const r = new Client({ baseURL: 'http://127.0.0.1:9', timeout: '2s' }).steps.signInWizard();
      return r.ok === false && r.outcome === 'failure' && r.step === 'signin_wizard' && r.status === 0;
    },
    'unknown options are refused': () => {
      try { new Client({ baseURL: BASE_URL, timout: '1s' }); return false; } catch (e) { return String(e).indexOf('timout') >= 0; }
    },
    'a picker and a pool can be built': () =>
      new UserPicker([{ email: 'a@b.c', password: 'p' }], {}).size === 1 &&
      new SessionPool(new Client({ baseURL: BASE_URL }), [{ email: 'a@b.c', password: 'p' }], { name: 'smoke', size: 1 }).size === 1,
  });
}

function ok(name, r) {
  if (!check(r, { [name]: (x) => x.ok })) console.error(`${name}: ${r.flow}/${r.step}: ${r.outcome} ${r.status} ${r.reason}`);
  return r;
}

export default function (data) {
  if (data.offline) return offline();
  const c = client({ tags: { example: 'smoke' } });
  const cap = client({ profile: 'capillary' });

  const p = ok('signin (no 2FA)', c.signIn(data.plain)).session;
  const g = ok('signin (TOTP)', c.signIn(data.google)).session;
  const s = ok('signin (SMS)', c.signIn(data.sms)).session;
  ok('signin (both, SMS chosen)', c.signIn(data.both, { method: 'sms' }));
  ok('signin (reset required)', c.signIn(data.reset, { newPassword: 'Smoke-reset-1!' }));
  if (!p || !g || !s) fail('sign-in failed; see above');

  ok('refresh', c.refresh(p));
  const ch = ok('challenge (signed in)', c.challenge(p, data.plain.email));
  check(ch, { 'challenge gives a success token': (r) => typeof r.token === 'string' && r.token.length > 0 });
  ok('challenge (signed out)', c.challenge(null, data.plain.email));
  ok('change password', c.changePassword(p, data.plain.email, 'Smoke-change-1!'));
  ok('restore password', c.restorePassword(data.plain.email, 'Smoke-restore-1!'));

  const en = ok('enable google', c.enableGoogle(p));
  check(en, { 'the new secret makes codes': (r) => totp(r.secret).length === 6 });
  ok('disable google', c.disable2FA(p, 'google', { email: data.plain.email, totpSecret: en.secret }));
  ok('enable sms', c.enableSMS(p, '+15550100001'));
  ok('disable sms', c.disable2FA(p, 'sms', { email: data.plain.email, phone: '+15550100001' }));

  ok('qr sign-in', c.qrSignIn(s));
  ok('2fa history', c.tfaChanges(p, { limit: 10, sortOrder: 'desc', provider: 'google' }));
  ok('password history', c.passwordChanges(p, { limit: 10 }));

  // Steps one by one: a sign-in taken apart.
  const wz = ok('step: wizard', c.steps.signInWizard());
  const si = ok('step: signin', c.steps.signIn(wz.uuid, data.google.email, data.google.password));
  const c2 = ok('step: choose 2FA', c.steps.choose2FA(si.uuid, 'google'));
  ok('step: submit code', c.steps.submitCode(c2.uuid, 'google', totp(data.google.totpSecret, Date.now() / 1000 + 30)));

  ok('capillary password change', cap.capillaryChangePassword({
    identifierType: 'EMAIL', identifierValue: data.capillary.email, deviceId: 'smoke-device',
    brand: 'authflow', password: data.capillary.password, newPassword: 'Smoke-capillary-1!',
  }));
  ok('signout', c.signOut(p));
  // A step expected to be refused: not a failed flow, not http_req_failed.
  // CONTRACT.md says only that the refresh token is rejected: any 4xx.
  check(c.steps.refresh(p, { expectedStatuses: [{ min: 400, max: 499 }] }), {
    'a signed-out session cannot refresh': (r) => !r.ok && r.outcome === 'rejected' && r.status >= 400 && r.status < 500,
  });
}
