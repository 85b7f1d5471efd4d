// Package testutil holds what the tests of several packages need alike: a
// settable clock, a transport that records its requests, and the k6 binary
// of the end-to-end tests. It is imported by tests only.
package testutil
