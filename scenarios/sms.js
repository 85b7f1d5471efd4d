// SMS 2FA load: sign-ins completed with an SMS code, read from the target's
// test hooks (or another code source: see README), at AUTHFLOW_RATE per
// second for AUTHFLOW_DURATION.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { sms: openModel('sms', config.rate) },
  thresholds: Object.assign(
    thresholds(['signin_sms'], ['signin_wizard', 'signin', 'signin_2fa', '2fa_sms']),
    { authflow_otp_rejected: ['count==0'] },
  ),
};

const client = new Client(clientOptions());

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(Math.ceil(config.rate * 4) + 10, { twoFactor: ['sms'] }) };
}

export const sms = guard('sms', (data) => {
  check(client.signIn(picker('sms', data), { method: 'sms' }), { 'signed in (SMS)': (r) => r.ok });
});

export const handleSummary = summaryHandler('sms');
