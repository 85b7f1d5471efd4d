// Lockout probe: what happens to latency, and to everybody else, while
// accounts are being locked out. "Attackers" send wrong passwords for a few
// victim accounts at AUTHFLOW_ATTACK_RATE per second (the server must block
// them: 429 with Retry-After, counted as lockouts), while "bystanders" sign
// in normally at AUTHFLOW_RATE per second; the gate is on the bystanders'
// latency and failures, and on the lockouts having happened.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

const attackRate = Number(__ENV.AUTHFLOW_ATTACK_RATE || 10);

export const options = {
  scenarios: {
    attackers: openModel('attack', attackRate),
    bystanders: openModel('bystander', config.rate),
  },
  thresholds: Object.assign(
    thresholds(['signin'], ['signin_wizard', 'signin']),
    {
      // The attackers' refusals are expected answers (see attack()); only
      // the bystanders' requests may fail.
      http_req_failed: ['rate<=0.01'],
      authflow_lockouts: ['count>0'],
      'authflow_step_duration{scenario:attackers,step:signin}': [`p(95)<${config.stepP95}`],
    },
  ),
};

const client = new Client(clientOptions({ tags: { probe: 'lockout' } }));
// CONTRACT.md fixes only the class of a wrong password's answer (a 4xx;
// 401 and 422 are both seen) and 429 for a blocked identifier: any 4xx is an
// expected refusal here, a 5xx is not.
const refused = { expectedStatuses: [{ min: 400, max: 499 }] };

export function setup() {
  const victims = hooks.createClients(3, { twoFactor: [] });
  return { victims, users: fileUsers ? null : hooks.createClients(Math.ceil(config.rate * 2) + 5, { twoFactor: [] }) };
}

export const attack = guard('attack', (data) => {
  const v = data.victims[Math.floor(Math.random() * data.victims.length)];
  const wz = client.steps.signInWizard();
  const r = client.steps.signIn(wz.uuid, v.email, `wrong-${Math.random()}`, refused);
  check(r, { 'a wrong password is refused': (x) => !x.ok && (x.outcome === 'rejected' || x.outcome === 'lockout') });
});

export const bystander = guard('bystander', (data) => {
  check(client.signIn(picker('none', data)), { 'bystander signed in': (r) => r.ok });
});

export const handleSummary = summaryHandler('lockout_probe');
