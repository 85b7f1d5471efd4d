// handleSummary for every scenario: writes k6's end-of-test data as JSON for
// `authflow report` (and the capacity search) and prints a compact text
// summary of the authflow metrics. k6's own text summary helper lives on a
// CDN, which a closed CI network cannot reach, so the text is made here.
import { config } from './config.js';

const fmtMs = (v) => (v === undefined || v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const pct = (v) => (v === undefined || v === null ? '-' : `${(100 * v).toFixed(2)}%`);
const pad = (s, n) => (String(s) + ' '.repeat(n)).slice(0, Math.max(n, String(s).length));

// submetrics returns [tagValue, metric] for every "name{tag:value}" entry.
function submetrics(metrics, name, tag) {
  const prefix = `${name}{${tag}:`;
  return Object.keys(metrics)
    .filter((k) => k.startsWith(prefix) && k.indexOf(',') < 0)
    .sort()
    .map((k) => [k.slice(prefix.length, -1), metrics[k]]);
}

export function textSummary(data, name) {
  const m = data.metrics || {};
  const lines = [];
  const dur = data.state && data.state.testRunDurationMs ? (data.state.testRunDurationMs / 1000).toFixed(1) : '?';
  lines.push(`authflow scenario ${name}: ${dur}s`);

  const flows = submetrics(m, 'authflow_flow_duration', 'flow');
  if (flows.length) {
    lines.push('', `  ${pad('flow', 22)} ${pad('count', 8)} ${pad('p50 ms', 8)} ${pad('p95 ms', 8)} failed`);
    for (const [flow, metric] of flows) {
      const failed = m[`authflow_flow_failed{flow:${flow}}`];
      // The flow count comes from authflow_flows{flow:X}, which every
      // scenario gates on (k6's trend stats have no count by default).
      const n = m[`authflow_flows{flow:${flow}}`];
      const count = n && n.values && n.values.count !== undefined ? n.values.count : (metric.values || {}).count;
      const v = metric.values || {};
      lines.push(`  ${pad(flow, 22)} ${pad(count === undefined ? '-' : count, 8)} ${pad(fmtMs(v.med), 8)} ${pad(fmtMs(v['p(95)']), 8)} ${failed ? pct(failed.values.rate) : '-'}`);
    }
  }
  const steps = submetrics(m, 'authflow_step_duration', 'step');
  if (steps.length) {
    lines.push('', `  ${pad('step', 30)} ${pad('p50 ms', 8)} p95 ms`);
    for (const [step, metric] of steps) {
      const v = metric.values || {};
      lines.push(`  ${pad(step, 30)} ${pad(fmtMs(v.med), 8)} ${fmtMs(v['p(95)'])}`);
    }
  }
  const outcomes = ['authflow_flows', 'authflow_lockouts', 'authflow_rate_limited', 'authflow_otp_rejected', 'http_reqs', 'dropped_iterations'];
  const counts = outcomes.filter((k) => m[k]).map((k) => `${k}=${m[k].values.count}`);
  if (counts.length) lines.push('', `  ${counts.join('  ')}`);

  let failed = 0;
  const thresholdLines = [];
  for (const key of Object.keys(m).sort()) {
    for (const [src, th] of Object.entries(m[key].thresholds || {})) {
      if (!th.ok) failed++;
      thresholdLines.push(`  ${th.ok ? 'ok  ' : 'FAIL'} ${key}: ${src}`);
    }
  }
  if (thresholdLines.length) {
    lines.push('', `  thresholds: ${thresholdLines.length - failed} passed, ${failed} failed`, ...thresholdLines);
  }
  return lines.join('\n') + '\n';
}

// summaryHandler returns a handleSummary for the scenario called name.
export function summaryHandler(name) {
  return function handleSummary(data) {
    const path = config.summaryFile || `${config.out}/${name}.summary.json`;
    // setup() returns the accounts it made, passwords included: never
    // write them into a file meant for reports.
    const safe = Object.assign({}, data);
    delete safe.setup_data;
    return {
      [path]: JSON.stringify(safe, null, 1),
      stdout: textSummary(data, name),
    };
  };
}
