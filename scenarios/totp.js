// TOTP 2FA load: Google Authenticator sign-ins at AUTHFLOW_RATE per second
// for AUTHFLOW_DURATION (open model). The picker never hands out a user who
// already completed a TOTP sign-in in the current 30-second step, and warns
// once when the pool is too small for the rate.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks, totpUsersFor } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { totp: openModel('totp', config.rate) },
  thresholds: Object.assign(
    thresholds(['signin_totp'], ['signin_wizard', 'signin', 'signin_2fa', '2fa_google']),
    { authflow_otp_rejected: ['count==0'] },
  ),
};

const client = new Client(clientOptions());

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(totpUsersFor(config.rate), { twoFactor: ['google'] }) };
}

export const totp = guard('totp', (data) => {
  check(client.signIn(picker('google', data), { method: 'google' }), { 'signed in (TOTP)': (r) => r.ok });
});

export const handleSummary = summaryHandler('totp');
