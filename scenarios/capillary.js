// Capillary MFA password change: validate the current password for a token,
// then change the password with it, at AUTHFLOW_VUS concurrent clients for
// AUTHFLOW_DURATION. One account per VU, so each knows its own password.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client } from 'k6/x/authflow';
import { config, clientOptions } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { ownAccount, setupAccounts } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { capillary: { executor: 'constant-vus', exec: 'capillary', vus: config.vus, duration: config.duration } },
  thresholds: thresholds(['capillary_password_change'], ['capillary_validate', 'capillary_change']),
};

const client = new Client(clientOptions({ profile: 'capillary' }));
let mine = null;

export function setup() {
  return setupAccounts(config.vus);
}

export const capillary = guard('capillary', (data) => {
  if (!mine) mine = Object.assign({}, ownAccount(data));
  const next = `Cap-${exec.vu.idInTest}-${exec.vu.iterationInInstance}-c3!`;
  const r = client.capillaryChangePassword({
    identifierType: 'EMAIL', identifierValue: mine.email, deviceId: `k6-vu-${exec.vu.idInTest}`,
    brand: __ENV.AUTHFLOW_BRAND || 'authflow', password: mine.password, newPassword: next,
  });
  if (check(r, { 'password changed (Capillary)': (x) => x.ok })) mine.password = next;
});

export const handleSummary = summaryHandler('capillary');
