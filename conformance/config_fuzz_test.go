package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// FuzzParseConfig: a configuration is read without a panic; a mistake is
// a *ConfigError with a message; what is accepted is valid, has its
// defaults (applying them again changes nothing), has no negative
// duration, and reads the same written back as JSON (as conformance.json
// carries it) and as YAML.
//
//	go test -run='^$' -fuzz='^FuzzParseConfig$' -fuzztime=100000x ./conformance/
func FuzzParseConfig(f *testing.F) {
	example, err := os.ReadFile("example.yaml")
	require.NoError(f, err)
	f.Add(example)
	for _, s := range []string{
		"target: http://h:8080/\n",
		`{"target": "https://h", "hooks": "https://h/__hooks", "policy": {"shorten": false, "signin": {"attempts": 3, "windowSeconds": 10, "blockSeconds": 20}}, "timeouts": {"request": 2}}`,
		"target: http://h\nwaits: {block: 1m30s, expiry: 16m}\n",
		"target: http://h\nprofiles: [capillary]\ngroups: [lockout, qr]\nchecks: [LOCK-, SIGNIN-002]\nexclude: [LOCK-005]\n",
		"target: https://h\nhooks: https://h/__hooks\npolicy: {fromHooks: true, shorten: false, shortBlock: 1.5}\nfailOnSkip: true\n",
		"target: http://h\ncapillary: {brand: ' B ', identifierType: MOBILE}\nuserAgent: \"\\t\\u0085x\"\nbaseline: ../bl.yaml\n",
		"target: http://h\ntimeouts: {request: 1e300, check: NaN, code: .inf}\n",
		"target: http://h\ntimeouts: {request: 9223372037, check: -0, code: 2562047h47m16.854775807s}\n",
		"target: http://h\ntimeouts: {request: 9223372037}\n", "target: http://h\ntimeouts: {check: NaN}\n",
		"target: http://h\nwaits: {expiry: +Inf}\n", "target: http://h\nlifetimes: {code: 1e300}\n",
		"target: http://h\nwaits: {block: 0.0000000001, expiry: 300000h}\n",
		"target: http://h\nlockoutStatus: 4294967725\nparallelism: -1\n",
		"target: http://h\ntargett: x\n", "target: http://h\npolicy: {attempts: 3}\n", "", "---\n", "hooks: http://h\n",
		"target: /api\n", "target: http://h?x=1\n", "target: http://h\nprofiles: [b2core, soap]\n",
		"target: http://h\ngroups: [lockouts]\n", "target: http://h\nchecks: [NOPE-1]\n", "target: http://h\nchecks: ['']\n",
		"target: http://h\nlockoutStatus: 200\n", "target: http://h\ntimeouts: {request: soon}\n",
		"target: http://h\ntimeouts: {request: [1]}\n", "target: http://h\npolicy: {fromHooks: true}\n",
		"target: http://h\npolicy: {signin: {attempts: 0, windowSeconds: 1, blockSeconds: 1}}\n",
		"target: http://h\n---\ntarget: http://g\n", "target: http://h\n---\n", "target: &a http://h\nhooks: *a\n",
		"target: [\n", "target: !!binary aHR0cDovL2g=\n", "- target: http://h\n", "target: http://h\ntarget: http://g\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			require.Nil(t, c)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce, "a configuration mistake is a *ConfigError: %v", err)
			require.NotEmpty(t, ce.Err.Error())
			return
		}
		require.NoError(t, c.Validate())
		for name, d := range map[string]Duration{
			"policy.shortBlock": c.Policy.ShortBlock, "timeouts.request": c.Timeouts.Request, "timeouts.check": c.Timeouts.Check,
			"timeouts.code": c.Timeouts.Code, "waits.block": c.Waits.Block, "waits.expiry": c.Waits.Expiry,
			"lifetimes.wizard": c.Lifetimes.Wizard, "lifetimes.code": c.Lifetimes.Code, "lifetimes.successToken": c.Lifetimes.SuccessToken,
		} {
			require.GreaterOrEqual(t, d, Duration(0), "%s is negative (%q)", name, b)
		}
		again := *c
		again.ApplyDefaults()
		require.Equal(t, c, &again, "the defaults are applied once and for all")

		j, err := json.Marshal(c)
		require.NoError(t, err)
		back, err := ParseConfig(j)
		require.NoError(t, err, "written as JSON: %s", j)
		// (yaml.v3 reads JSON as YAML 1.1, where a raw U+0085 in a string is a
		// line break, folded to a space; encoding/json does not escape it.)
		if !bytes.ContainsRune(j, '\u0085') {
			require.Equal(t, normalConfig(c), normalConfig(back), "JSON round trip: %s", j)
		}

		y, err := yaml.Marshal(c)
		require.NoError(t, err)
		back, err = ParseConfig(y)
		require.NoError(t, err, "written as YAML:\n%s", y)
		require.Equal(t, normalConfig(c), normalConfig(back), "YAML round trip:\n%s", y)
	})
}

// normalConfig drops the difference between an empty and a missing list,
// which JSON's omitempty does not keep.
func normalConfig(c *Config) Config {
	n := *c
	for _, l := range []*[]string{&n.Profiles, &n.Groups, &n.Checks, &n.Exclude} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return n
}

// FuzzParseBaseline: a baseline is read without a panic; a mistake is a
// *ConfigError with a message; what is accepted lists known checks once
// each, every one with a reason, and comes from a single YAML document (a
// second one would be silently dropped); and it reads the same written
// back as YAML and as JSON.
//
//	go test -run='^$' -fuzz='^FuzzParseBaseline$' -fuzztime=100000x ./conformance/
func FuzzParseBaseline(f *testing.F) {
	for _, s := range []string{
		"expectedFailures:\n  - id: LOCK-005\n    reason: the staging gateway keeps the 10-minute block (VENDOR-123)\n",
		"expectedFailures:\n  - {id: ' LOCK-005 ', reason: gateway}\n  - {id: SIGNIN-002, reason: \"x\\ny\"}\n",
		`{"expectedFailures": [{"id": "LOCK-005", "reason": "gateway"}]}`,
		"", "---\n", "expectedFailures: []\n", "expectedFailures: null\n", "expectedFailures:\n  - null\n",
		"expectedFailures:\n  - id: LOCK-999\n    reason: x\n", "expectedFailures:\n  - id: LOCK-005\n",
		"expectedFailures:\n  - {id: LOCK-005, reason: ' '}\n",
		"expectedFailures:\n  - {id: LOCK-005, reason: a}\n  - {id: LOCK-005, reason: b}\n",
		"expected:\n  - id: LOCK-005\n", "expectedFailures: {id: LOCK-005}\n", "- id: LOCK-005\n", "x\n", "[",
		"expectedFailures:\n  - {id: LOCK-005, reason: a}\n---\nexpectedFailures:\n  - {id: SIGNIN-002, reason: b}\n",
		"expectedFailures: []\n---\nexpectedFailures:\n  - {id: NOPE, reason: b}\n",
		"expectedFailures:\n  - &e {id: LOCK-005, reason: a}\n  - *e\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bl, err := ParseBaseline(b)
		if err != nil {
			require.Nil(t, bl)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.NotEmpty(t, ce.Err.Error())
			return
		}
		require.NotNil(t, bl)
		seen := map[string]bool{}
		for _, e := range bl.ExpectedFailures {
			require.NotNil(t, lookupCheck(e.ID), "unknown check %q", e.ID)
			require.False(t, seen[e.ID], "%s twice", e.ID)
			seen[e.ID] = true
			require.NotEmpty(t, strings.TrimSpace(e.Reason))
			r, ok := bl.reason(e.ID)
			require.True(t, ok)
			require.Equal(t, e.Reason, r)
		}
		require.LessOrEqual(t, yamlDocuments(b), 1, "a baseline of several documents was read as its first")

		y, err := yaml.Marshal(bl)
		require.NoError(t, err)
		back, err := ParseBaseline(y)
		require.NoError(t, err, "written as YAML:\n%s", y)
		require.Equal(t, len(bl.ExpectedFailures), len(back.ExpectedFailures))
		for i := range bl.ExpectedFailures {
			require.Equal(t, bl.ExpectedFailures[i], back.ExpectedFailures[i], "YAML round trip:\n%s", y)
		}
		j, err := json.Marshal(bl)
		require.NoError(t, err)
		back, err = ParseBaseline(j)
		require.NoError(t, err, "written as JSON: %s", j)
		require.Equal(t, len(bl.ExpectedFailures), len(back.ExpectedFailures))
	})
}

// yamlDocuments counts the documents yaml.v3 reads from b (those up to
// the first error).
func yamlDocuments(b []byte) int {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		var v yaml.Node
		if dec.Decode(&v) != nil {
			return n
		}
		n++
	}
}
