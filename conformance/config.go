package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Profiles a target may speak.
const (
	ProfileB2Core    = "b2core"
	ProfileCapillary = "capillary"
)

// Defaults of Config. example.yaml documents each one.
const (
	DefaultLockoutStatus   = 429
	DefaultParallelism     = 8
	DefaultRequestTimeout  = 10 * time.Second
	DefaultCheckTimeout    = 2 * time.Minute
	DefaultCodeWait        = 5 * time.Second
	DefaultBlockWait       = 30 * time.Second
	DefaultShortBlock      = 3 * time.Second
	DefaultShortWindow     = 10 * time.Second
	DefaultUserAgent       = "authflow-conformance/1"
	DefaultCapillaryBrand  = "AUTHFLOW"
	DefaultCapillaryIDType = "EMAIL"
)

// Duration is a time.Duration written in configuration as a Go duration
// string ("10s", "2m30s") or as a number of seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string like \"10s\" or a number of seconds", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses "10s" or a plain number of seconds ("10", "1.5").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("duration %q must not be negative", s)
		}
		// NaN, infinity and more seconds than a time.Duration holds would
		// convert to a negative or arbitrary duration.
		if math.IsNaN(f) || f*float64(time.Second) >= float64(math.MaxInt64) {
			return 0, fmt.Errorf("invalid duration %q (want e.g. \"10s\", \"2m\" or a number of seconds below %d)", s, math.MaxInt64/int64(time.Second))
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. \"10s\", \"2m\" or a number of seconds)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
}

// Limit is one rate limit: Attempts within WindowSeconds block for
// BlockSeconds (CONTRACT.md "Sign-in and lockout").
type Limit struct {
	Attempts      int `yaml:"attempts" json:"attempts"`
	WindowSeconds int `yaml:"windowSeconds" json:"windowSeconds"`
	BlockSeconds  int `yaml:"blockSeconds" json:"blockSeconds"`
}

func (l Limit) String() string {
	return fmt.Sprintf("%d attempts / %d s, block %d s", l.Attempts, l.WindowSeconds, l.BlockSeconds)
}

// DefaultLimit is the documents' default: 5 attempts a minute, 10-minute block.
func DefaultLimit() Limit { return Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600} }

// PolicyConfig is the lockout and refresh policy the suite expects.
type PolicyConfig struct {
	// FromHooks reads the policy in force from GET {hooks}/policy instead
	// of SignIn and Refresh.
	FromHooks bool  `yaml:"fromHooks" json:"fromHooks"`
	SignIn    Limit `yaml:"signin" json:"signin"`
	Refresh   Limit `yaml:"refresh" json:"refresh"`
	// Shorten lets the suite shorten the block through PUT {hooks}/policy
	// for the lockout phase (restoring the original afterwards). Default true.
	Shorten *bool `yaml:"shorten" json:"shorten"`
	// ShortBlock is the block the suite sets when it shortens (3s).
	ShortBlock Duration `yaml:"shortBlock" json:"shortBlock"`
	// ShortWindow is the window the suite sets when it shortens (10s), so
	// that the window checks can wait for failures to fall out of it.
	ShortWindow Duration `yaml:"shortWindow" json:"shortWindow"`
}

// Timeouts bound the suite's waits.
type Timeouts struct {
	// Request bounds one HTTP exchange (10s).
	Request Duration `yaml:"request" json:"request"`
	// Check bounds one whole check (2m) beyond the waits it is allowed
	// (waits.block and waits.expiry); a check that overruns is ERROR.
	Check Duration `yaml:"check" json:"check"`
	// Code is how long to poll GET {hooks}/messages/latest for a code the
	// server should have sent (5s).
	Code Duration `yaml:"code" json:"code"`
}

// Waits says how long the suite may wait for time to pass on the server.
type Waits struct {
	// Block is the longest wait for a lockout or refresh block to end (30s).
	// A block longer than this (and not shortened) makes the check SKIP.
	Block Duration `yaml:"block" json:"block"`
	// Expiry is the longest wait for something to expire: wizard uuids
	// (15m), SMS codes (10m), success tokens (5m), QR channels, access
	// tokens. 0 (the default) SKIPs every expiry check.
	Expiry Duration `yaml:"expiry" json:"expiry"`
}

// Lifetimes are how long the target keeps things alive (CONTRACT.md
// defaults); the expiry checks wait this long, when waits.expiry allows.
// Where an answer says when something expires (expiresAt of tokens and
// success tokens, lifetimeMinutes of QR channels) the answer is used.
type Lifetimes struct {
	Wizard       Duration `yaml:"wizard" json:"wizard"`             // Sign In Wizard uuid (15m)
	Code         Duration `yaml:"code" json:"code"`                 // SMS and email codes (10m)
	SuccessToken Duration `yaml:"successToken" json:"successToken"` // when the answer has no expiresAt (5m)
}

// CapillaryConfig is what the Capillary checks send.
type CapillaryConfig struct {
	Brand string `yaml:"brand" json:"brand"`
	// IdentifierType is EMAIL (the account's email, the default) or
	// MOBILE (the account's phone).
	IdentifierType string `yaml:"identifierType" json:"identifierType"`
}

// Config is one conformance run's configuration.
type Config struct {
	// Target is the base URL of the API ({host}; the B2Core calls are
	// below /api/v2/my).
	Target string `yaml:"target" json:"target"`
	// Hooks is the base URL of the test hooks (contract v1); empty means
	// none, and every check that needs one SKIPs.
	Hooks string `yaml:"hooks" json:"hooks,omitempty"`
	// Profiles the target speaks: b2core, capillary (default both).
	Profiles []string `yaml:"profiles" json:"profiles"`
	// Groups to run; empty means all.
	Groups []string `yaml:"groups" json:"groups,omitempty"`
	// Checks to run, by ID or ID prefix ("LOCK-", "SIGNIN-002"); empty
	// means all those of the selected groups.
	Checks []string `yaml:"checks" json:"checks,omitempty"`
	// Exclude drops checks by ID or prefix.
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`

	Policy PolicyConfig `yaml:"policy" json:"policy"`
	// LockoutStatus is the status of a blocked sign-in or refresh (429).
	LockoutStatus int `yaml:"lockoutStatus" json:"lockoutStatus"`

	Timeouts Timeouts `yaml:"timeouts" json:"timeouts"`
	Waits    Waits    `yaml:"waits" json:"waits"`

	Lifetimes Lifetimes `yaml:"lifetimes" json:"lifetimes"`

	// Parallelism is how many checks run at once outside the lockout
	// phase (8).
	Parallelism int `yaml:"parallelism" json:"parallelism"`

	// Baseline is a file of expected failures (see LoadBaseline); relative
	// paths are relative to the configuration file.
	Baseline string `yaml:"baseline" json:"baseline,omitempty"`

	Capillary CapillaryConfig `yaml:"capillary" json:"capillary"`

	// FailOnSkip makes a SKIPPED MUST check fail the run (for CI that needs
	// every check verified: give hooks and waits that allow them all).
	FailOnSkip bool `yaml:"failOnSkip" json:"failOnSkip,omitempty"`

	// UserAgent is sent in the device fingerprint and the User-Agent header.
	UserAgent string `yaml:"userAgent" json:"userAgent"`
}

// ConfigError is a configuration mistake: the CLI exits 2 on it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "configuration: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, args...)}
}

// LoadConfig reads a YAML or JSON configuration file strictly (an unknown
// key is an error), applies the defaults and validates it. A relative
// baseline path is resolved against the file's directory.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, err
	}
	if c.Baseline != "" && !filepath.IsAbs(c.Baseline) {
		c.Baseline = filepath.Join(filepath.Dir(path), c.Baseline)
	}
	return c, nil
}

// ParseConfig parses YAML or JSON (JSON is YAML) strictly, applies the
// defaults and validates.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, configErrorf("the configuration is empty")
		}
		return nil, &ConfigError{Err: err}
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, configErrorf("the configuration must be a single YAML document")
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ApplyDefaults sets every zero field to its default.
func (c *Config) ApplyDefaults() {
	c.Target = strings.TrimRight(strings.TrimSpace(c.Target), "/")
	c.Hooks = strings.TrimRight(strings.TrimSpace(c.Hooks), "/")
	if len(c.Profiles) == 0 {
		c.Profiles = []string{ProfileB2Core, ProfileCapillary}
	}
	if c.Policy.SignIn == (Limit{}) {
		c.Policy.SignIn = DefaultLimit()
	}
	if c.Policy.Refresh == (Limit{}) {
		c.Policy.Refresh = DefaultLimit()
	}
	if c.Policy.Shorten == nil {
		t := true
		c.Policy.Shorten = &t
	}
	if c.Policy.ShortBlock == 0 {
		c.Policy.ShortBlock = Duration(DefaultShortBlock)
	}
	if c.Policy.ShortWindow == 0 {
		c.Policy.ShortWindow = Duration(DefaultShortWindow)
	}
	if c.LockoutStatus == 0 {
		c.LockoutStatus = DefaultLockoutStatus
	}
	if c.Timeouts.Request == 0 {
		c.Timeouts.Request = Duration(DefaultRequestTimeout)
	}
	if c.Timeouts.Check == 0 {
		c.Timeouts.Check = Duration(DefaultCheckTimeout)
	}
	if c.Timeouts.Code == 0 {
		c.Timeouts.Code = Duration(DefaultCodeWait)
	}
	if c.Waits.Block == 0 {
		c.Waits.Block = Duration(DefaultBlockWait)
	}
	if c.Lifetimes.Wizard == 0 {
		c.Lifetimes.Wizard = Duration(15 * time.Minute)
	}
	if c.Lifetimes.Code == 0 {
		c.Lifetimes.Code = Duration(10 * time.Minute)
	}
	if c.Lifetimes.SuccessToken == 0 {
		c.Lifetimes.SuccessToken = Duration(5 * time.Minute)
	}
	if c.Parallelism == 0 {
		c.Parallelism = DefaultParallelism
	}
	if c.Capillary.Brand == "" {
		c.Capillary.Brand = DefaultCapillaryBrand
	}
	if c.Capillary.IdentifierType == "" {
		c.Capillary.IdentifierType = DefaultCapillaryIDType
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
}

// ShortenPolicy reports whether the suite may shorten the policy.
func (c *Config) ShortenPolicy() bool { return c.Policy.Shorten == nil || *c.Policy.Shorten }

// Validate reports the first configuration mistake as a *ConfigError.
func (c *Config) Validate() error {
	if c.Target == "" {
		return configErrorf("target is required (the API base URL, e.g. http://localhost:8080)")
	}
	if err := checkURL("target", c.Target); err != nil {
		return err
	}
	if c.Hooks != "" {
		if err := checkURL("hooks", c.Hooks); err != nil {
			return err
		}
	}
	for _, p := range c.Profiles {
		if p != ProfileB2Core && p != ProfileCapillary {
			return configErrorf("unknown profile %q (known: %s, %s)", p, ProfileB2Core, ProfileCapillary)
		}
	}
	groups := Groups()
	for _, g := range c.Groups {
		if !slices.Contains(groups, g) {
			return configErrorf("unknown group %q (known: %s)", g, strings.Join(groups, ", "))
		}
	}
	for _, sel := range append(slices.Clone(c.Checks), c.Exclude...) {
		if !matchesAnyCheck(sel) {
			return configErrorf("checks/exclude: %q matches no check ID", sel)
		}
	}
	for name, l := range map[string]Limit{"policy.signin": c.Policy.SignIn, "policy.refresh": c.Policy.Refresh} {
		if l.Attempts < 1 || l.WindowSeconds < 1 || l.BlockSeconds < 1 {
			return configErrorf("%s: attempts, windowSeconds and blockSeconds must be positive integers", name)
		}
	}
	if c.Policy.FromHooks && c.Hooks == "" {
		return configErrorf("policy.fromHooks needs hooks (the test hooks base URL)")
	}
	if c.Policy.ShortBlock < Duration(time.Second) {
		return configErrorf("policy.shortBlock must be at least 1s")
	}
	if c.Policy.ShortWindow < Duration(2*time.Second) {
		return configErrorf("policy.shortWindow must be at least 2s")
	}
	if c.LockoutStatus < 400 || c.LockoutStatus > 599 {
		return configErrorf("lockoutStatus must be an HTTP error status (400-599), got %d", c.LockoutStatus)
	}
	if c.Parallelism < 1 || c.Parallelism > 256 {
		return configErrorf("parallelism must be from 1 to 256, got %d", c.Parallelism)
	}
	if c.Capillary.Brand == "" {
		return configErrorf("capillary.brand must not be empty")
	}
	switch c.Capillary.IdentifierType {
	case "EMAIL", "MOBILE":
	default:
		return configErrorf("capillary.identifierType must be EMAIL or MOBILE, got %q", c.Capillary.IdentifierType)
	}
	return nil
}

func checkURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf("%s must be an absolute http(s) URL, got %q", name, s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return configErrorf("%s must not have a query or fragment: %q", name, s)
	}
	return nil
}

// HasProfile reports whether the run covers profile p.
func (c *Config) HasProfile(p string) bool { return slices.Contains(c.Profiles, p) }
