// Package integration holds the tests of what bin/k6 feeds to other tools:
// k6's Prometheus remote write into a real Prometheus evaluating every query
// of the Grafana dashboard, k6's web dashboard report, k6's OpenTelemetry
// output into an OTLP receiver, and the CI and k6-operator files read by
// their own validators. They share one way of starting the reference server
// and bin/k6, and none of them belongs to a package of the harness itself.
package integration
