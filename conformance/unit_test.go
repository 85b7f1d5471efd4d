package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{"minimal YAML gets the defaults", "target: http://h:8080/\n", "", func(t *testing.T, c *Config) {
			assert.Equal(t, "http://h:8080", c.Target)
			assert.Equal(t, []string{ProfileB2Core, ProfileCapillary}, c.Profiles)
			assert.Equal(t, DefaultLimit(), c.Policy.SignIn)
			assert.True(t, c.ShortenPolicy())
			assert.Equal(t, 429, c.LockoutStatus)
			assert.Equal(t, Duration(10*time.Second), c.Timeouts.Request)
			assert.Equal(t, Duration(0), c.Waits.Expiry)
			assert.Equal(t, Duration(15*time.Minute), c.Lifetimes.Wizard)
			assert.Equal(t, DefaultParallelism, c.Parallelism)
		}},
		{"JSON works", `{"target": "https://h", "hooks": "https://h/__hooks", "policy": {"shorten": false, "signin": {"attempts": 3, "windowSeconds": 10, "blockSeconds": 20}}, "timeouts": {"request": 2}}`, "", func(t *testing.T, c *Config) {
			assert.False(t, c.ShortenPolicy())
			assert.Equal(t, Limit{3, 10, 20}, c.Policy.SignIn)
			assert.Equal(t, DefaultLimit(), c.Policy.Refresh)
			assert.Equal(t, Duration(2*time.Second), c.Timeouts.Request)
		}},
		{"durations as strings", "target: http://h\nwaits: {block: 1m30s, expiry: 16m}\n", "", func(t *testing.T, c *Config) {
			assert.Equal(t, Duration(90*time.Second), c.Waits.Block)
			assert.Equal(t, Duration(16*time.Minute), c.Waits.Expiry)
		}},
		{"unknown key", "target: http://h\ntargett: x\n", "field targett not found", nil},
		{"unknown nested key", "target: http://h\npolicy: {attempts: 3}\n", "field attempts not found", nil},
		{"empty", "", "empty", nil},
		{"no target", "hooks: http://h\n", "target is required", nil},
		{"relative target", "target: /api\n", "absolute http(s) URL", nil},
		{"bad profile", "target: http://h\nprofiles: [b2core, soap]\n", "unknown profile", nil},
		{"bad group", "target: http://h\ngroups: [lockouts]\n", "unknown group", nil},
		{"unknown check", "target: http://h\nchecks: [NOPE-1]\n", "matches no check", nil},
		{"bad status", "target: http://h\nlockoutStatus: 200\n", "lockoutStatus", nil},
		{"bad duration", "target: http://h\ntimeouts: {request: soon}\n", "invalid duration", nil},
		{"fromHooks needs hooks", "target: http://h\npolicy: {fromHooks: true}\n", "needs hooks", nil},
		{"zero attempts", "target: http://h\npolicy: {signin: {attempts: 0, windowSeconds: 1, blockSeconds: 1}}\n", "positive", nil},
		{"two documents", "target: http://h\n---\ntarget: http://g\n", "single YAML document", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := ParseConfig([]byte(c.in))
			if c.wantErr != "" {
				require.Error(t, err)
				var ce *ConfigError
				require.True(t, errors.As(err, &ce), "a configuration mistake is a *ConfigError: %v", err)
				require.Contains(t, err.Error(), c.wantErr)
				return
			}
			require.NoError(t, err)
			c.check(t, cfg)
		})
	}
}

func TestExampleConfigParses(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("example.yaml")
	require.NoError(t, err)
	def := &Config{Target: cfg.Target, Hooks: cfg.Hooks}
	def.ApplyDefaults()
	assert.Equal(t, def.Policy.SignIn, cfg.Policy.SignIn, "example.yaml shows the defaults")
	assert.Equal(t, def.Timeouts, cfg.Timeouts)
	assert.Equal(t, def.Waits, cfg.Waits)
	assert.Equal(t, def.Lifetimes, cfg.Lifetimes)
	assert.Equal(t, def.Parallelism, cfg.Parallelism)
	assert.Equal(t, def.Capillary, cfg.Capillary)
	assert.Equal(t, def.UserAgent, cfg.UserAgent)
	assert.Equal(t, def.Policy.ShortBlock, cfg.Policy.ShortBlock)
}

func TestLoadConfigResolvesBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte("target: http://h\nbaseline: bl.yaml\n"), 0o644))
	c, err := LoadConfig(p)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "bl.yaml"), c.Baseline)
}

func TestParseBaseline(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, wantErr string }{
		{"ok", "expectedFailures:\n  - id: LOCK-005\n    reason: gateway\n", ""},
		{"empty file", "", ""},
		{"unknown id", "expectedFailures:\n  - id: LOCK-999\n    reason: x\n", "unknown check ID"},
		{"no reason", "expectedFailures:\n  - id: LOCK-005\n", "reason is required"},
		{"twice", "expectedFailures:\n  - {id: LOCK-005, reason: a}\n  - {id: LOCK-005, reason: b}\n", "twice"},
		{"unknown key", "expected:\n  - id: LOCK-005\n", "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := ParseBaseline([]byte(c.in))
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			if c.name == "ok" {
				r, ok := b.reason("LOCK-005")
				assert.True(t, ok)
				assert.Equal(t, "gateway", r)
			}
		})
	}
}

func TestSchemaCheck(t *testing.T) {
	t.Parallel()
	s := Schema{
		f("code", KInt), f("done", KBool), fEnum("workflow", "login", "2fa"),
		f("data", KObject), f("data.items", KArray), f("data.items[].name", KString),
		f("data.at", KTime), fOpt("data.extra", KString), f("data.maybe", KString|KNull),
	}
	cases := []struct {
		name string
		in   string
		want []string // substrings of the violations, in order
	}{
		{"valid, extra fields tolerated", `{"code":200,"done":false,"workflow":"2fa","data":{"items":[{"name":"a","x":1}],"at":"2022-01-01T00:00:00+00:00","maybe":null},"more":1}`, nil},
		{"wrong types are named", `{"code":"200","done":"false","workflow":"login","data":{"items":[{"name":7}],"at":"yesterday","maybe":1}}`,
			[]string{`code: want integer, got string "200"`, `done: want boolean, got string "false"`, "data.items[0].name: want string, got integer 7", "data.at: want RFC 3339", "data.maybe: want string or null, got integer 1"}},
		{"missing fields", `{"code":200.5,"workflow":"done","data":null}`,
			[]string{"code: want integer, got number 200.5", "done: missing", `workflow: "done" is not one of "login", "2fa"`, "data: want object, got null"}},
		{"missing parent reported once", `{"code":1,"done":true,"workflow":"login"}`,
			[]string{"data: missing (want object)"}},
		{"unlisted parent missing", `{"code":1,"done":true,"workflow":"login","data":{"items":[],"at":"2022-01-01T00:00:00Z","maybe":null}}`, nil},
		{"optional present with the wrong type", `{"code":1,"done":true,"workflow":"login","data":{"items":[],"at":"2022-01-01T00:00:00Z","maybe":"x","extra":false}}`,
			[]string{"data.extra: want string, got boolean false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := parseJSON([]byte(c.in))
			require.NoError(t, err)
			got := s.Check(v)
			require.Len(t, got, len(c.want), "%q", got)
			for i, w := range c.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
	_, err := parseJSON([]byte(`{"a":1} {"b":2}`))
	assert.Error(t, err, "trailing data")
}

func TestLenientGetters(t *testing.T) {
	t.Parallel()
	v, err := parseJSON([]byte(`{"a":{"b":[{"c":"x"},{"c":7}]},"n":"12","t":"true","f":1.0}`))
	require.NoError(t, err)
	assert.Equal(t, "x", jstr(v, "a.b[0].c"))
	assert.Equal(t, "7", jstr(v, "a.b[1].c"))
	assert.Equal(t, "", jstr(v, "a.b[2].c"))
	n, ok := jint(v, "n")
	assert.True(t, ok)
	assert.EqualValues(t, 12, n)
	n, ok = jint(v, "f")
	assert.True(t, ok)
	assert.EqualValues(t, 1, n)
	b, ok := jbool(v, "t")
	assert.True(t, ok && b)
	assert.Len(t, jarr(v, "a.b"), 2)
	assert.Equal(t, map[string]string{"": "object", "a": "object", "a.b": "array", "a.b[]": "object", "a.b[].c": "string", "n": "string", "t": "string", "f": "number"}, jshape(v))
}

func TestMasking(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"secret members", `{"password": "hunter22", "code": 202, "code2": "x", "refreshToken":"abc.def", "data":{"token":"t0k3n"}}`, nil,
			`{"password": "***", "code": 202, "code2": "x", "refreshToken":"***", "data":{"token":"***"}}`},
		{"string OTP code", `{"uuid":"u","code":"123456"}`, nil, `{"uuid":"u","code":"***"}`},
		{"malformed JSON", `{"password": "hunter22", "email": `, nil, `{"password": "***", "email": `},
		{"escaped quotes", `{"password":"a\"b","x":1}`, nil, `{"password":"***","x":1}`},
		{"known secrets anywhere", `{"message":"wrong password S3cret-pw for you"}`, []string{"S3cret-pw", "abc"}, `{"message":"wrong password *** for you"}`},
		{"TOTP key", `{"data":{"key":"TPYXG33M4LOHFJHB"}}`, nil, `{"data":{"key":"***"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, maskBody([]byte(c.in), c.secrets))
		})
	}
	long := strings.Repeat("é", 3000)
	ex := maskBody([]byte(long), nil)
	assert.Contains(t, ex, "bytes in all")
	assert.LessOrEqual(t, len(ex), maxExcerpt+40)

	h := maskRequestHeader(http.Header{"Authorization": {"Bearer abcdef"}, "Successtoken": {"tok-123"}, "Content-Type": {"application/json"}})
	assert.Equal(t, "Bearer ***(6 chars)", h["Authorization"])
	assert.Equal(t, "***(7 chars)", h["Successtoken"])
	assert.Equal(t, "application/json", h["Content-Type"])
	assert.Equal(t, "Bearer", maskRequestHeader(http.Header{"Authorization": {"Bearer"}})["Authorization"])
	assert.Equal(t, "Bearer ", maskRequestHeader(http.Header{"Authorization": {"Bearer "}})["Authorization"])
	assert.Equal(t, "***(40 chars)", maskRequestHeader(http.Header{"Authorization": {strings.Repeat("x", 40)}})["Authorization"])
}

func TestTOTP(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B, SHA-1, the last 6 of the 8 digits.
	key := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	vectors := []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}}
	for _, v := range vectors {
		assert.Equal(t, v.want, totpCode(key, totpStepAt(time.Unix(v.unix, 0))), "T=%d", v.unix)
	}
	secret := key
	k, err := decodeBase32Secret(strings.ToLower(secret[:8]) + " " + secret[8:])
	require.NoError(t, err)
	assert.Equal(t, key, k)
	_, err = decodeBase32Secret("not base32!")
	assert.Error(t, err)

	seq, err := newTOTPSeq(secret)
	require.NoError(t, err)
	now := time.Unix(1_000_000_010, 0) // 20 s into a step
	c1, w1 := seq.next(now)
	c2, w2 := seq.next(now)
	c3, w3 := seq.next(now)
	assert.Equal(t, totpCode(key, totpStepAt(now)), c1)
	assert.Equal(t, totpCode(key, totpStepAt(now)+1), c2)
	assert.Zero(t, w1)
	assert.Zero(t, w2, "the next step is accepted at once")
	assert.Equal(t, totpCode(key, totpStepAt(now)+2), c3)
	assert.InDelta(t, (10*time.Second + 100*time.Millisecond).Seconds(), w3.Seconds(), 0.001, "step+2 waits until step+1 begins")

	w := wrongTOTP(key, now)
	for d := int64(-10); d <= 10; d++ {
		assert.NotEqual(t, totpCode(key, totpStepAt(now)+d), w)
	}
	assert.Len(t, w, 6)
	assert.NotEqual(t, "123456", otherCode("123456"))
	assert.Len(t, otherCode("999999"), 6)
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, value string
		want        time.Duration
		ok          bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"HTTP date", date.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"negative", "-5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"missing", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Date": {date.Format(http.TimeFormat)}}
			if c.value != "" {
				h.Set("Retry-After", c.value)
			}
			got, ok := retryAfter(&X{Resp: &b2core.Response{Status: 429, Header: h}})
			assert.Equal(t, c.ok, ok)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	r := func(l Level, v Verdict, baseline bool) CheckResult {
		return CheckResult{Level: l, Verdict: v, Baseline: baseline}
	}
	skip := func(l Level, c SkipCause) CheckResult {
		return CheckResult{Level: l, Verdict: Skip, SkipCause: c}
	}
	cases := []struct {
		name       string
		in         []CheckResult
		failOnSkip bool
		want       Outcome
		headline   string
	}{
		{"all pass", []CheckResult{r(MUST, Pass, false), r(SHOULD, Pass, false)}, false, Conformant, "2 PASS: CONFORMANT"},
		{"MUST fail", []CheckResult{r(MUST, Pass, false), r(MUST, Fail, false)}, false, NonConformant, "1 PASS, 1 FAIL: NON-CONFORMANT"},
		{"MUST fail accepted by the baseline", []CheckResult{r(MUST, Pass, false), r(MUST, Fail, true)}, false, Conformant, "1 PASS, 1 FAIL: CONFORMANT"},
		{"SHOULD warn", []CheckResult{r(MUST, Pass, false), r(SHOULD, Warn, false)}, false, Conformant, "1 PASS, 1 WARN: CONFORMANT"},
		{"MUST error", []CheckResult{r(MUST, Pass, false), r(MUST, Error, false)}, false, Incomplete, "1 PASS, 1 ERROR: INCOMPLETE"},
		{"MUST fail beats error", []CheckResult{r(MUST, Fail, false), r(MUST, Error, false)}, false, NonConformant, "1 FAIL, 1 ERROR: NON-CONFORMANT"},
		{"SHOULD error", []CheckResult{r(MUST, Pass, false), r(SHOULD, Error, false)}, false, Conformant, "1 PASS, 1 ERROR: CONFORMANT"},
		{"skip: waits not allowed", []CheckResult{r(MUST, Pass, false), skip(MUST, SkipWaits)}, false, Conformant, "1 PASS, 1 SKIPPED (waits not allowed): CONFORMANT"},
		{"skip: precondition", []CheckResult{r(MUST, Pass, false), r(MUST, Skip, false)}, false, Conformant, "1 PASS, 1 SKIPPED (precondition not met): CONFORMANT"},
		{"skip: hooks unavailable", []CheckResult{r(MUST, Pass, false), skip(MUST, SkipHooks), skip(MUST, SkipHooks)}, false, Incomplete, "1 PASS, 2 SKIPPED (hooks unavailable): INCOMPLETE"},
		{"skip: policy unknown", []CheckResult{r(MUST, Pass, false), skip(MUST, SkipPolicy)}, false, Incomplete, "1 PASS, 1 SKIPPED (policy unknown): INCOMPLETE"},
		{"skips of two causes", []CheckResult{r(MUST, Pass, false), skip(MUST, SkipHooks), skip(SHOULD, SkipWaits)}, false, Incomplete, "1 PASS, 2 SKIPPED (1 hooks unavailable, 1 waits not allowed): INCOMPLETE"},
		{"skip with failOnSkip", []CheckResult{r(MUST, Pass, false), skip(MUST, SkipWaits)}, true, NonConformant, "1 PASS, 1 SKIPPED (waits not allowed): NON-CONFORMANT"},
		{"nothing verified", []CheckResult{skip(MUST, SkipWaits)}, false, Incomplete, "1 SKIPPED (waits not allowed): INCOMPLETE"},
		{"nothing at all", nil, false, Incomplete, "no checks: INCOMPLETE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := Summarize(c.in, c.failOnSkip)
			assert.Equal(t, c.want, s.Outcome)
			assert.Equal(t, c.want == Conformant, s.Passed)
			assert.Equal(t, c.headline, s.Headline())
			assert.Equal(t, s.Pass+s.Warn+s.Fail, s.Verified)
		})
	}
}

func TestDigestAndSignature(t *testing.T) {
	t.Parallel()
	r := fixedReport()
	b, err := MarshalReport(r)
	require.NoError(t, err)
	_, err = VerifyDigest(b)
	require.NoError(t, err)

	// Every single-byte edit is detected, wherever it is.
	for _, i := range []int{0, 10, len(b) / 3, len(b) / 2, bytes.Index(b, []byte(`"digest"`)) + 20, len(b) - 3} {
		ed := bytes.Clone(b)
		ed[i] ^= 0x01
		_, err := VerifyDigest(ed)
		assert.Error(t, err, "edit at %d", i)
	}
	ed := bytes.Replace(b, []byte(`"verdict": "FAIL"`), []byte(`"verdict": "PASS"`), 1)
	_, err = VerifyDigest(ed)
	assert.ErrorContains(t, err, "digest mismatch")
	_, err = VerifyDigest([]byte(`{"checks": []}`))
	assert.ErrorContains(t, err, "no digest")

	dir := t.TempDir()
	pub, err := GenerateKey(filepath.Join(dir, "k"))
	require.NoError(t, err)
	_, err = GenerateKey(filepath.Join(dir, "k"))
	assert.Error(t, err, "an existing key is not overwritten")
	kb, err := os.ReadFile(filepath.Join(dir, "k"))
	require.NoError(t, err)
	key, err := ParsePrivateKey(kb)
	require.NoError(t, err)
	pb, err := os.ReadFile(filepath.Join(dir, "k.pub"))
	require.NoError(t, err)
	pub2, err := ParsePublicKey(pb)
	require.NoError(t, err)
	assert.Equal(t, pub, pub2)

	sig := Sign(key, b)
	require.NoError(t, VerifySignature(pub, b, sig))
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	require.NoError(t, VerifySignature(pub, b, raw), "raw 64-byte signatures too")
	ed = bytes.Clone(b)
	ed[len(ed)/2] ^= 0x20
	assert.ErrorContains(t, VerifySignature(pub, ed, sig), "does not match")
	other, err := GenerateKey(filepath.Join(dir, "other"))
	require.NoError(t, err)
	assert.Error(t, VerifySignature(other, b, sig))

	// Raw Base64 keys: a 32-byte seed and a 32-byte public key.
	seed := key.Seed()
	k2, err := ParsePrivateKey([]byte(base64.StdEncoding.EncodeToString(seed) + "\n"))
	require.NoError(t, err)
	assert.Equal(t, key, k2)
	p3, err := ParsePublicKey([]byte(PublicKeyString(pub)))
	require.NoError(t, err)
	assert.Equal(t, pub, p3)
	_, err = ParsePrivateKey([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	assert.ErrorContains(t, err, "want PRIVATE KEY")
	_, err = ParsePrivateKey([]byte("short"))
	assert.Error(t, err)
}

func TestJUnitIsValidXMLWithHostileEvidence(t *testing.T) {
	t.Parallel()
	r := fixedReport()
	r.Checks[1].Evidence[1].ResponseBody = "bad \x00\x1b bytes ]]> and <tags> & \uFFFF"
	r.Checks[1].Reason = "reason with \x07 bell"
	var b bytes.Buffer
	require.NoError(t, RenderJUnit(&b, r))
	dec := xml.NewDecoder(&b)
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	cs := Catalogue()
	require.NotEmpty(t, cs)
	seen := map[string]bool{}
	for _, c := range cs {
		assert.False(t, seen[c.ID], "duplicate %s", c.ID)
		seen[c.ID] = true
		assert.NotEmpty(t, c.Title, c.ID)
		assert.NotEmpty(t, c.Source, c.ID)
		assert.Contains(t, []Level{MUST, SHOULD}, c.Level, c.ID)
		assert.NotNil(t, c.Run, c.ID)
		assert.Regexp(t, `^[A-Z]+-\d{3}$`, c.ID)
	}
	cfg := &Config{Target: "http://h", Groups: []string{GroupLockout}, Exclude: []string{"LOCK-00"}}
	cfg.ApplyDefaults()
	for _, c := range Selected(cfg) {
		assert.Equal(t, GroupLockout, c.Group)
		assert.False(t, strings.HasPrefix(c.ID, "LOCK-00"))
	}
	cfg = &Config{Target: "http://h", Profiles: []string{ProfileCapillary}}
	cfg.ApplyDefaults()
	for _, c := range Selected(cfg) {
		assert.Equal(t, ProfileCapillary, c.Profile)
	}
}

func TestSchemaUnlistedAncestor(t *testing.T) {
	t.Parallel()
	s := tokenSchema.Prefix("data.accessToken")
	v, err := parseJSON([]byte(`{"data":{}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"data.accessToken: missing (want an object holding data.accessToken.token)"}, s.Check(v))
	v, err = parseJSON([]byte(`{"data":{"accessToken":{"token":"t","createdAt":"2022-01-01T00:00:00+00:00","expiresAt":17}}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"data.accessToken.expiresAt: want RFC 3339 date-time string, got integer 17"}, s.Check(v))
}

func TestPickEvidence(t *testing.T) {
	t.Parallel()
	var ev []Evidence
	for i := range 150 {
		e := Evidence{Step: "s", Status: i}
		if i == 3 || i == 70 {
			e.Note = "failed here"
		}
		ev = append(ev, e)
	}
	got := pickEvidence(ev)
	require.Len(t, got, maxEvidence+1)
	assert.Equal(t, "(omitted)", got[0].Step)
	assert.Equal(t, 3, got[1].Status, "a noted exchange is kept however early")
	assert.Equal(t, 149, got[len(got)-1].Status)
	statuses := map[int]bool{}
	for _, e := range got[1:] {
		statuses[e.Status] = true
	}
	assert.True(t, statuses[70])
	assert.Len(t, pickEvidence(ev[:10]), 10)
}

func TestREADMEListsEveryCheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, c := range Catalogue() {
		assert.Contains(t, string(b), "| "+c.ID+" | "+string(c.Level)+" | "+c.Title+" |", "README.md: regenerate the check list")
	}
}
