// Fixture generator for package reports: a k6 script that emits the same
// metrics, with the same tags, as the k6/x/authflow extension, against the
// stand-in server in server.go. See gen.sh; not used by the tests directly.
import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';
import { Trend, Counter, Rate } from 'k6/metrics';

const flowDuration = new Trend('authflow_flow_duration', true);
const flows = new Counter('authflow_flows');
const flowFailed = new Rate('authflow_flow_failed');
const stepDuration = new Trend('authflow_step_duration', true);
const lockouts = new Counter('authflow_lockouts');
const rateLimited = new Counter('authflow_rate_limited');
const otpRejected = new Counter('authflow_otp_rejected');

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:18080';

export const options = {
  scenarios: {
    auth: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 8), timeUnit: '1s',
      duration: __ENV.DURATION || '10s',
      preAllocatedVUs: 12,
    },
  },
  summaryTrendStats: __ENV.TREND_STATS === 'default'
    ? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']
    : ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  systemTags: ['status', 'method', 'name', 'group', 'check', 'error_code', 'scenario', 'expected_response'],
  thresholds: {
    'http_req_failed': ['rate<0.10'],
    'authflow_flow_failed': ['rate<0.05'],
    'authflow_flow_failed{flow:mfa_password_change}': ['rate<0.02'],
    'authflow_flow_duration{flow:sign_in}': ['p(95)<400'],
    'authflow_step_duration{flow:sign_in,step:credentials}': ['p(95)<150', 'p(99)<250'],
    'authflow_step_duration{flow:sign_in,step:submit_otp}': ['p(95)<60'],
    'http_req_duration{flow:mfa_password_change,step:validate}': ['p(95)<200'],
    'authflow_flows{flow:sign_in,outcome:lockout}': ['count<10'],
    'authflow_step_duration{step:refresh}': ['p(95)<100'],
    'checks': ['rate>0.8'],
  },
};

const FLOWS = {
  sign_in: ['wizard', 'credentials', 'submit_otp'],
  refresh: ['refresh'],
  mfa_password_change: ['validate', 'change'],
};
const PATHS = {
  wizard: '/api/v2/my/sign-in/wizard',
  credentials: '/api/v2/my/sign-in',
  submit_otp: '/api/v2/my/sign-in/2fa',
  refresh: '/api/v2/my/token/refresh',
  validate: '/auth/v1/mfa/password/validate',
  change: '/auth/v1/mfa/password/change',
};

function outcomeOf(status, step) {
  if (status === 200) return null;
  if (status === 423) return 'lockout';
  if (status === 429) return 'rate_limited';
  if (status === 400 && step === 'submit_otp') return 'otp_rejected';
  if (status >= 400 && status < 500) return 'rejected';
  return 'failure';
}

export default function () {
  const user = exec.scenario.iterationInTest;
  const flow = ['sign_in', 'sign_in', 'refresh', 'mfa_password_change'][user % 4];
  const start = Date.now();
  let outcome = 'success';
  let last = '';
  for (const step of FLOWS[flow]) {
    last = step;
    const tags = { name: 'POST ' + PATHS[step], step: step, flow: flow };
    const t0 = Date.now();
    const res = http.post(BASE + PATHS[step], '{}', {
      headers: { 'Content-Type': 'application/json', 'X-User': String(user) },
      tags: tags,
      responseCallback: http.expectedStatuses(200, 400, 401, 423, 429),
    });
    stepDuration.add(Date.now() - t0, { step: step, flow: flow, status: String(res.status) });
    check(res, { [step + ' answered 200']: (r) => r.status === 200 });
    const o = outcomeOf(res.status, step);
    if (o) { outcome = o; break; }
  }
  // As the extension does: outcome counters carry flow and step; lockout
  // and rate_limited are protection working and stay out of flow_failed.
  if (outcome === 'lockout') lockouts.add(1, { flow: flow, step: last });
  if (outcome === 'rate_limited') rateLimited.add(1, { flow: flow, step: last });
  if (outcome === 'otp_rejected') otpRejected.add(1, { flow: flow, step: last });
  flowDuration.add(Date.now() - start, { flow: flow, outcome: outcome });
  flows.add(1, { flow: flow, outcome: outcome });
  if (outcome !== 'lockout' && outcome !== 'rate_limited') {
    flowFailed.add(outcome !== 'success', { flow: flow });
  }
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY || 'summary.json']: JSON.stringify(data, null, 2) };
}
