// Thresholds are the CI gate: when one fails, `k6 run` exits 99. Every
// scenario declares them per flow (p95 latency, failure rate, and that it
// ran at all) and per step (p95 latency) on the extension's metrics, using
// the SLA from config.js, plus a gate on iterations that threw.
//
// A gate must not pass vacuously: thresholds over zero samples of a latency
// or a rate pass, so every flow also needs `authflow_flows{flow:X}` count>0,
// and an iteration that throws (no user for a flow, a bug in a script) is
// counted by guard() and fails `authflow_iteration_errors` count==0.
import { Counter } from 'k6/metrics';
import { config } from './config.js';

const iterationErrors = new Counter('authflow_iteration_errors');

// guard wraps a scenario function: an exception it throws is counted in
// authflow_iteration_errors (tagged with the function's name) and thrown on,
// so k6 still logs it.
export function guard(name, fn) {
  return function guarded(data) {
    try {
      return fn(data);
    } catch (e) {
      iterationErrors.add(1, { exec: name });
      throw e;
    }
  };
}

export function flowThresholds(flows, opts) {
  const o = Object.assign({ p95: config.p95, errorRate: config.errorRate }, opts || {});
  const t = {};
  for (const flow of flows) {
    t[`authflow_flow_duration{flow:${flow}}`] = [`p(95)<${o.p95}`];
    t[`authflow_flow_failed{flow:${flow}}`] = [`rate<=${o.errorRate}`];
    t[`authflow_flows{flow:${flow}}`] = ['count>0'];
  }
  return t;
}

export function stepThresholds(steps, opts) {
  const o = Object.assign({ p95: config.stepP95 }, opts || {});
  const t = {};
  for (const step of steps) {
    t[`authflow_step_duration{step:${step}}`] = [`p(95)<${o.p95}`];
  }
  return t;
}

// thresholds combines both, plus a floor on k6's own http_req_failed so a
// scenario whose flows all "succeed" through retries still notices errors,
// and no iteration may throw.
export function thresholds(flows, steps, opts) {
  return Object.assign(
    {
      http_req_failed: [`rate<=${(opts && opts.httpErrorRate) || 0.05}`],
      authflow_iteration_errors: ['count==0'],
    },
    flowThresholds(flows, opts),
    stepThresholds(steps, opts),
  );
}
