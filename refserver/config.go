package refserver

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authflow/authflow/testhooks"
)

// Default values of Config. Every one is also a flag of `authflow serve`.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultAccessTTL         = 15 * time.Minute
	DefaultRefreshTTL        = 24 * time.Hour
	DefaultWizardTTL         = 15 * time.Minute
	DefaultCodeTTL           = 10 * time.Minute
	DefaultSuccessTokenTTL   = 5 * time.Minute
	DefaultQRLifetime        = 2 * time.Minute
	DefaultCapillaryTokenTTL = 5 * time.Minute
	DefaultJanitorInterval   = 30 * time.Second

	// MaxBodyBytes bounds every request body (CONTRACT.md: over 64 KiB is a 4xx).
	MaxBodyBytes = 64 << 10
)

// Config configures a Server. The zero value of every field means its
// default, so Config{} is a working load-test server.
type Config struct {
	// Addr is where `authflow serve` listens; New ignores it.
	Addr string

	// Policy is the sign-in lockout and the refresh rate limit in force at
	// start (the hooks can change it later). A zero limit means its
	// testhooks.DefaultPolicy value: 5 attempts within 60 s block for 600 s.
	Policy testhooks.Policy

	// Hash is the argon2id cost of stored passwords. Zero means
	// LoadTestHash, a deliberately cheap cost so that the server never
	// limits a load test; use ProductionHash to measure production-like
	// sign-in latency.
	Hash HashParams

	AccessTTL         time.Duration // access token lifetime (15m)
	RefreshTTL        time.Duration // refresh token lifetime (24h)
	WizardTTL         time.Duration // Sign In Wizard and 2FA wizard uuid lifetime (15m)
	CodeTTL           time.Duration // SMS and email code and confirmation token lifetime (10m)
	SuccessTokenTTL   time.Duration // 2FA challenge success token lifetime (5m)
	QRLifetime        time.Duration // QR sign-in channel lifetime (2m)
	CapillaryTokenTTL time.Duration // Capillary MFA token lifetime (5m)

	// DisableHooks turns the test hooks under /__hooks off (they answer 404).
	DisableHooks bool

	// Now is the clock; nil means time.Now. Tests move it to expire things.
	Now func() time.Time

	// Logger receives one debug line per request and the warnings; nil
	// discards everything.
	Logger *slog.Logger

	// Users creates deterministic load-test accounts at start.
	Users UsersConfig

	// Defects switches on deliberate defects (see Defects()), to prove that
	// the conformance suite catches them. Unknown names are an error.
	Defects []string

	// Variant is the server's personality: "" or VariantDefault, or
	// VariantAlt, which answers differently wherever the documents and
	// CONTRACT.md allow it (Variants() lists where). Unknown names are an
	// error.
	Variant string

	// JanitorInterval is how often expired wizards, tokens, codes and
	// limiter entries are swept from memory (30s).
	JanitorInterval time.Duration
}

// withDefaults returns c with every zero field set to its default, or an
// error for a value that makes no sense.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	def := testhooks.DefaultPolicy()
	if c.Policy.SignIn == (testhooks.Limit{}) {
		c.Policy.SignIn = def.SignIn
	}
	if c.Policy.Refresh == (testhooks.Limit{}) {
		c.Policy.Refresh = def.Refresh
	}
	if err := ValidatePolicy(c.Policy); err != nil {
		return c, err
	}
	if c.Hash == (HashParams{}) {
		c.Hash = LoadTestHash
	}
	if err := c.Hash.Validate(); err != nil {
		return c, err
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"access token TTL", &c.AccessTTL, DefaultAccessTTL},
		{"refresh token TTL", &c.RefreshTTL, DefaultRefreshTTL},
		{"wizard TTL", &c.WizardTTL, DefaultWizardTTL},
		{"code TTL", &c.CodeTTL, DefaultCodeTTL},
		{"success token TTL", &c.SuccessTokenTTL, DefaultSuccessTokenTTL},
		{"QR channel lifetime", &c.QRLifetime, DefaultQRLifetime},
		{"Capillary token TTL", &c.CapillaryTokenTTL, DefaultCapillaryTokenTTL},
		{"janitor interval", &c.JanitorInterval, DefaultJanitorInterval},
	}
	for _, d := range durations {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			return c, fmt.Errorf("%s must be positive, got %s", d.name, *d.v)
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Users.Count < 0 {
		return c, errors.New("users count must not be negative")
	}
	if c.Users.Count > MaxUsers {
		return c, fmt.Errorf("users count must be at most %d", MaxUsers)
	}
	return c, nil
}

// Policy limits. PUT /__hooks/policy accepts positive integers up to these
// (bounded so that a typo cannot overflow a duration or hold a huge window).
const (
	maxPolicyAttempts = 1_000_000
	maxPolicySeconds  = 366 * 24 * 3600
)

// ValidatePolicy reports whether every limit of p is a positive integer
// within bounds.
func ValidatePolicy(p testhooks.Policy) error {
	check := func(name string, l testhooks.Limit) error {
		if l.Attempts < 1 || l.Attempts > maxPolicyAttempts {
			return fmt.Errorf("%s.attempts must be an integer from 1 to %d", name, maxPolicyAttempts)
		}
		if l.WindowSeconds < 1 || l.WindowSeconds > maxPolicySeconds {
			return fmt.Errorf("%s.windowSeconds must be an integer from 1 to %d", name, maxPolicySeconds)
		}
		if l.BlockSeconds < 1 || l.BlockSeconds > maxPolicySeconds {
			return fmt.Errorf("%s.blockSeconds must be an integer from 1 to %d", name, maxPolicySeconds)
		}
		return nil
	}
	if err := check("signin", p.SignIn); err != nil {
		return err
	}
	return check("refresh", p.Refresh)
}
