// Package reports turns the results of authflow runs into reports people and
// CI systems read: one self-contained HTML page, a Markdown summary for a CI
// job or a pull request, and JUnit XML.
//
// Inputs, all optional but the first:
//
//   - k6 end-of-test summaries, as a script's handleSummary writes them with
//     JSON.stringify(data) (ParseSummary also reads the shape k6 v2 passes
//     with K6_NEW_MACHINE_READABLE_SUMMARY=true and the legacy
//     --summary-export file). Several summaries from one run split with k6
//     execution segments are merged into one (MergeSummaries).
//   - k6 time series, as `k6 run --out json=FILE` writes them (NDJSON,
//     optionally gzipped), read with a TimeSeriesReader. They give exact
//     per-flow and per-step percentiles, throughput and error rate over time,
//     and exact merges of split runs.
//   - an authflow conformance report (package conformance's Report as JSON).
//   - a baseline run to compare against.
//
// Build assembles these into a Model; RenderHTML, RenderMarkdown and
// RenderJUnit write it out, and WriteDir writes all three into a directory.
//
// Where the numbers come from: per-step and per-flow breakdowns come from the
// time series when given. Without one, only what the summary holds is known:
// k6 puts a tagged submetric such as
// authflow_step_duration{flow:sign_in,step:credentials} into the summary only
// when the script declares a threshold on it, so the page then shows just
// those, and says so.
//
// Merging approximations (without a time series): counters, Rate metrics and
// checks add up exactly; Trend min and max are exact, avg is exact when a
// count is known (the "count" trend stat, or the companion counter:
// http_reqs for http_req_duration, authflow_flows for
// authflow_flow_duration, iterations for iteration_duration); percentiles and
// the median are the count-weighted mean of each part's percentile, which is
// only an estimate, and are marked "≈" in every output. Thresholds of merged
// metrics are re-evaluated on the merged values when their expression is a
// simple "stat op number"; otherwise a threshold is ok only if it was ok in
// every part.
package reports
