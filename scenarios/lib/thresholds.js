// Thresholds are the CI gate: when one fails, `k6 run` exits 99. Every
// scenario declares them per flow (p95 latency, failure rate) and per step
// (p95 latency) on the extension's metrics, using the SLA from config.js.
import { config } from './config.js';

export function flowThresholds(flows, opts) {
  const o = Object.assign({ p95: config.p95, errorRate: config.errorRate }, opts || {});
  const t = {};
  for (const flow of flows) {
    t[`authflow_flow_duration{flow:${flow}}`] = [`p(95)<${o.p95}`];
    t[`authflow_flow_failed{flow:${flow}}`] = [`rate<=${o.errorRate}`];
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
// scenario whose flows all "succeed" through retries still notices errors.
export function thresholds(flows, steps, opts) {
  return Object.assign(
    { http_req_failed: [`rate<=${(opts && opts.httpErrorRate) || 0.05}`] },
    flowThresholds(flows, opts),
    stepThresholds(steps, opts),
  );
}
