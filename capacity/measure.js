// The capacity search's wrapper around a scenario (written next to each
// search's runs with SCENARIO replaced by the scenario's path). It runs the
// scenario's own exec functions unchanged and tags every sample with
// authflow_phase: "warmup" for iterations started in the first
// AUTHFLOW_CAPACITY_WARMUP_MS of a scenario and for each VU's first
// iteration, "measured" for the others. Only the
// measured samples are read: VU start-up, first iterations and whatever the
// harness does once are never part of a measured window. Every VU of an
// arrival-rate scenario is allocated before the test starts, so no VU is
// initialised while the rate is being measured. The scenario's own
// thresholds are replaced by the ones below, which only make k6 keep the
// measured submetrics in the end-of-test summary.
import exec from 'k6/execution';
import * as scenario from 'SCENARIO';

const warmupMs = Number(__ENV.AUTHFLOW_CAPACITY_WARMUP_MS || 0);
const flow = __ENV.AUTHFLOW_CAPACITY_FLOW || '';
const summaryPath = __ENV.AUTHFLOW_CAPACITY_SUMMARY || 'capacity.summary.json';
// With AUTHFLOW_CAPACITY_CLOSED_VUS=N the first scenario's flow runs in a
// closed loop instead: N VUs, each starting its next flow when the last
// ends, for AUTHFLOW_DURATION (the throughput the capacity is compared with).
const closedVUs = Number(__ENV.AUTHFLOW_CAPACITY_CLOSED_VUS || 0);

// seconds parses a k6 duration such as "1s", "500ms", "1m30s".
function seconds(d) {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m;
  while ((m = re.exec(String(d))) !== null) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  return total || 1;
}

// Every arrival-rate scenario runs at one constant rate for the whole run
// (a ramping one at its highest stage), so the measured window holds one
// rate; its rate per second goes into the summary, to tell how much of it
// started.
const original = scenario.options || {};
const execOf = {};
const scenarios = {};
const ratePerS = {};
for (const [name, sc] of Object.entries(original.scenarios || {})) {
  execOf[name] = sc.exec || 'default';
  let copy = Object.assign({}, sc, { exec: 'authflowCapacityExec' });
  if (copy.executor === 'ramping-arrival-rate') {
    const rate = Math.max(copy.startRate || 0, ...(copy.stages || []).map((st) => st.target));
    copy = {
      executor: 'constant-arrival-rate', exec: copy.exec, rate, timeUnit: copy.timeUnit || '1s',
      duration: __ENV.AUTHFLOW_DURATION, maxVUs: copy.maxVUs || copy.preAllocatedVUs, tags: copy.tags, env: copy.env,
    };
  }
  if (copy.executor === 'constant-arrival-rate') {
    copy.preAllocatedVUs = copy.maxVUs = Math.max(copy.maxVUs || 0, copy.preAllocatedVUs || 0);
    ratePerS[name] = copy.rate / seconds(copy.timeUnit || '1s');
  }
  scenarios[name] = copy;
}

const phase = '{authflow_phase:measured}';
const thresholds = {
  [`iterations${phase}`]: ['count>=0'],
  [`dropped_iterations`]: ['count>=0'],
  [`authflow_flow_duration{authflow_phase:measured,flow:${flow}}`]: ['p(95)>=0'],
  [`authflow_flow_failed{authflow_phase:measured,flow:${flow}}`]: ['rate>=0'],
};
for (const name of Object.keys(ratePerS)) {
  thresholds[`iterations{authflow_phase:measured,scenario:${name}}`] = ['count>=0'];
}

export const options = Object.assign({}, original, { thresholds });
if (original.scenarios) options.scenarios = scenarios;
if (closedVUs > 0) {
  const [name] = Object.keys(execOf).length ? Object.keys(execOf) : ['default'];
  execOf[name] = execOf[name] || 'default';
  options.scenarios = {
    [name]: { executor: 'constant-vus', vus: closedVUs, duration: __ENV.AUTHFLOW_DURATION, exec: 'authflowCapacityExec' },
  };
}

// A VU's first iteration is warm-up too, whenever it comes: it is where a
// scenario builds what the VU keeps (its user picker, its copy of setup data).
function tagged(fn, data) {
  const warm = Date.now() - exec.scenario.startTime < warmupMs || exec.vu.iterationInScenario === 0;
  exec.vu.metrics.tags.authflow_phase = warm ? 'warmup' : 'measured';
  return fn(data);
}

export function authflowCapacityExec(data) {
  return tagged(scenario[execOf[exec.scenario.name]], data);
}

export default function (data) {
  return tagged(scenario.default, data);
}

export function setup() {
  return scenario.setup ? scenario.setup() : undefined;
}

export function teardown(data) {
  if (scenario.teardown) scenario.teardown(data);
}

// handleSummary writes k6's end-of-test metrics only: never setup data.
export function handleSummary(data) {
  const rates = closedVUs > 0 ? {} : ratePerS;
  return { [summaryPath]: JSON.stringify({ state: data.state, metrics: data.metrics, authflow_capacity: { rate_per_s: rates } }) };
}
