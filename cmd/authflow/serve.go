package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/testhooks"
)

func init() {
	register(command{
		name:    "serve",
		summary: "run the reference server (the default target of every scenario)",
		run: func(args []string, stdout, stderr io.Writer) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, args, stdout, stderr, nil)
		},
	})
}

const serveIntro = `Usage: authflow serve [flags]

Runs the reference server: a complete in-memory implementation of the
B2Core client API v2 authentication calls (/api/v2/my/...), the Capillary
MFA password change (/auth/v1/mfa/password/...) and the authflow test hooks
(/__hooks/..., see CONTRACT.md). k6 scenarios and the conformance suite use
it as their default target. All state lives in memory and is lost on exit.
Ctrl-C (SIGINT) or SIGTERM stops it after the requests in flight finish.

Examples:
  authflow serve                                  # 127.0.0.1:8080, hooks on
  authflow serve --users 100000 --users-file users.json
  authflow serve --signin-block 5s                # short lockouts for a test run
  authflow serve --hash-cost production           # production-like sign-in CPU cost
  authflow serve --defect no-lockout              # prove the suite catches a defect
  authflow serve --defect list                    # list the deliberate defects
  authflow serve --variant alt                    # the other legal answers (--variant list)

Password hashing (argon2id): the default --hash-cost=load (t=1, m=16 KiB,
p=1) is deliberately cheap, about 40 µs a hash, so that the server never
limits a load test. It is NOT a safe cost for real passwords. To see
production-like sign-in latency and CPU use --hash-cost=production (t=2,
m=19 MiB, p=1: the OWASP minimum, tens of ms a hash), or set
--argon2-time/--argon2-memory/--argon2-threads to your deployment's values.

Flags:
`

// serveFlags holds the parsed flags.
type serveFlags struct {
	cfg       refserver.Config
	logLevel  string
	logJSON   bool
	readyFile string
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseServeFlags parses args; errHelpShown and errListShown mean the help
// or the defect list was printed to stdout.
func parseServeFlags(args []string, stdout io.Writer) (*serveFlags, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := testhooks.DefaultPolicy()
	var (
		sf          serveFlags
		c           = &sf.cfg
		hooksOn     bool
		hashCost    string
		a2Time      uint
		a2Mem       uint
		a2Threads   uint
		mix         string
		defects     listFlag
		variant     string
		logFormat   string
		signinLimit limitFlags
		refreshLim  limitFlags
	)
	fs.StringVar(&c.Addr, "listen", refserver.DefaultAddr, "`address` to listen on (host:port; port 0 picks a free one)")
	fs.BoolVar(&hooksOn, "hooks", true, "serve the test hooks under /__hooks (create clients, read sent codes, change the policy);\n--hooks=false for a deployment that must not have them")
	signinLimit.register(fs, "signin", "failed sign-in attempts (wrong password or 2FA code) per email", def.SignIn)
	refreshLim.register(fs, "refresh", "token refreshes per client", def.Refresh)
	fs.StringVar(&hashCost, "hash-cost", "load", "argon2id password hashing `cost`: load (cheap, for load tests) or production (OWASP minimum); see above")
	fs.UintVar(&a2Time, "argon2-time", 0, "argon2id passes (`t`), overriding --hash-cost")
	fs.UintVar(&a2Mem, "argon2-memory", 0, "argon2id memory in `KiB` (19456 = 19 MiB), overriding --hash-cost")
	fs.UintVar(&a2Threads, "argon2-threads", 0, "argon2id lanes (`p`), overriding --hash-cost")
	fs.DurationVar(&c.AccessTTL, "access-ttl", refserver.DefaultAccessTTL, "access token lifetime")
	fs.DurationVar(&c.RefreshTTL, "refresh-ttl", refserver.DefaultRefreshTTL, "refresh token lifetime")
	fs.DurationVar(&c.WizardTTL, "wizard-ttl", refserver.DefaultWizardTTL, "lifetime of a Sign In Wizard or 2FA wizard uuid")
	fs.DurationVar(&c.CodeTTL, "code-ttl", refserver.DefaultCodeTTL, "lifetime of SMS and email codes and of 2FA challenge confirmation tokens")
	fs.DurationVar(&c.SuccessTokenTTL, "success-token-ttl", refserver.DefaultSuccessTokenTTL, "lifetime of a 2FA challenge success token")
	fs.DurationVar(&c.QRLifetime, "qr-lifetime", refserver.DefaultQRLifetime, "lifetime of a QR sign-in channel")
	fs.DurationVar(&c.CapillaryTokenTTL, "capillary-token-ttl", refserver.DefaultCapillaryTokenTTL, "lifetime of a Capillary MFA token")
	fs.IntVar(&c.Users.Count, "users", 0, "create `N` deterministic load-test users at start (user<i>@load.authflow.test, ids 1..N);\npasswords are hashed in the background, so 100000 users are ready in seconds")
	fs.StringVar(&mix, "users-mix", refserver.DefaultMix.String(), "2FA `weights` of the load-test users: none, google, sms, both")
	fs.StringVar(&c.Users.Seed, "users-seed", refserver.DefaultUsersSeed, "`seed` the users' passwords, TOTP secrets and phones derive from (same seed, same users)")
	fs.StringVar(&c.Users.File, "users-file", "", "write the load-test users with their secrets to this `file` before serving: a JSON array,\nor CSV (email,password,totpSecret,phone,twoFactor,id) when the name ends in .csv")
	fs.Var(&defects, "defect", "switch on a deliberate defect `NAME` (repeatable or comma-separated); --defect list lists them.\nFor proving the conformance suite only; never on by default")
	fs.StringVar(&variant, "variant", refserver.VariantDefault, "server `personality`: default, or alt, which takes the other legal answer wherever the\ndocuments and CONTRACT.md allow one (other 4xx statuses, 200 vs 204, successToken, a phone on every client...);\n--variant list lists the differences")
	fs.StringVar(&sf.logLevel, "log-level", "info", "log `level`: debug (one line per request), info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "log `format`: text or json (logs go to stderr)")
	fs.StringVar(&sf.readyFile, "ready-file", "", "once the server accepts connections, write its base URL (http://host:port) to `file`;\nscripts start it with --listen 127.0.0.1:0 and wait for this file")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printServeHelp(stdout, fs)
			return nil, errHelpShown
		}
		return nil, usageError(fmt.Errorf("%v (authflow serve --help lists the flags)", err))
	}
	if fs.NArg() > 0 {
		return nil, usageError(fmt.Errorf("unexpected argument %q (authflow serve --help lists the flags)", fs.Arg(0)))
	}
	if printedList(stdout, defects, variant) {
		return nil, errListShown
	}
	var err error
	if c.Variant, err = refserver.ParseVariant(variant); err != nil {
		return nil, usageError(err)
	}
	if c.Defects, err = refserver.ParseDefects(defects); err != nil {
		return nil, usageError(err)
	}
	c.DisableHooks = !hooksOn
	if c.Policy.SignIn, err = signinLimit.limit("signin"); err != nil {
		return nil, usageError(err)
	}
	if c.Policy.Refresh, err = refreshLim.limit("refresh"); err != nil {
		return nil, usageError(err)
	}
	if c.Hash, err = hashFromFlags(hashCost, a2Time, a2Mem, a2Threads); err != nil {
		return nil, usageError(err)
	}
	if c.Users.Mix, err = refserver.ParseMix(mix); err != nil {
		return nil, usageError(err)
	}
	if c.Users.Count < 0 || c.Users.Count > refserver.MaxUsers {
		return nil, usageError(fmt.Errorf("--users must be 0 to %d", refserver.MaxUsers))
	}
	if c.Users.File != "" && c.Users.Count == 0 {
		return nil, usageError(errors.New("--users-file needs --users N"))
	}
	if err := checkLifetimes(c); err != nil {
		return nil, usageError(err)
	}
	switch logFormat {
	case "text":
	case "json":
		sf.logJSON = true
	default:
		return nil, usageError(fmt.Errorf("--log-format must be text or json, got %q", logFormat))
	}
	if _, err := parseLevel(sf.logLevel); err != nil {
		return nil, usageError(err)
	}
	return &sf, nil
}

// hashFromFlags is the password hash cost of --hash-cost, with the
// --argon2-* flags that are set overriding it.
func hashFromFlags(cost string, passes, memKiB, threads uint) (refserver.HashParams, error) {
	h, err := refserver.ParseHashCost(cost)
	if err != nil {
		return h, err
	}
	if passes > 0 {
		h.Time = uint32(min(passes, 1<<31))
	}
	if memKiB > 0 {
		h.MemoryKiB = uint32(min(memKiB, 1<<31))
	}
	if threads > 0 {
		h.Threads = uint8(min(threads, 255))
	}
	return h, h.Validate()
}

// checkLifetimes refuses a lifetime flag that is not positive.
func checkLifetimes(c *refserver.Config) error {
	for name, d := range map[string]time.Duration{
		"access-ttl": c.AccessTTL, "refresh-ttl": c.RefreshTTL, "wizard-ttl": c.WizardTTL, "code-ttl": c.CodeTTL,
		"success-token-ttl": c.SuccessTokenTTL, "qr-lifetime": c.QRLifetime, "capillary-token-ttl": c.CapillaryTokenTTL,
	} {
		if d <= 0 {
			return fmt.Errorf("--%s must be positive", name)
		}
	}
	return nil
}

var (
	errHelpShown = errors.New("help shown")
	errListShown = errors.New("list shown")
)

// limitFlags are the three flags of one rate limit.
type limitFlags struct {
	attempts      int
	window, block time.Duration
}

func (l *limitFlags) register(fs *flag.FlagSet, name, what string, def testhooks.Limit) {
	fs.IntVar(&l.attempts, name+"-attempts", def.Attempts, "`N` "+what+" allowed within --"+name+"-window")
	fs.DurationVar(&l.window, name+"-window", time.Duration(def.WindowSeconds)*time.Second, "sliding window of --"+name+"-attempts (whole seconds)")
	fs.DurationVar(&l.block, name+"-block", time.Duration(def.BlockSeconds)*time.Second, "how long the "+name+" limit blocks once reached: 429 with Retry-After (whole seconds)")
}

func (l *limitFlags) limit(name string) (testhooks.Limit, error) {
	secs := func(flagName string, d time.Duration) (int, error) {
		if d < time.Second || d%time.Second != 0 {
			return 0, fmt.Errorf("--%s must be a whole number of seconds, at least 1s (got %s)", flagName, d)
		}
		return int(d / time.Second), nil
	}
	w, err := secs(name+"-window", l.window)
	if err != nil {
		return testhooks.Limit{}, err
	}
	b, err := secs(name+"-block", l.block)
	if err != nil {
		return testhooks.Limit{}, err
	}
	lim := testhooks.Limit{Attempts: l.attempts, WindowSeconds: w, BlockSeconds: b}
	if l.attempts < 1 {
		return lim, fmt.Errorf("--%s-attempts must be at least 1", name)
	}
	return lim, nil
}

func printServeHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, serveIntro)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintln(w, "\nFlags take one or two dashes (-users or --users); durations are like 90s, 15m, 24h.")
}

func printDefects(w io.Writer) {
	fmt.Fprintln(w, "Deliberate defects (authflow serve --defect NAME[,NAME...]), for proving the conformance suite:")
	for _, d := range refserver.Defects() {
		fmt.Fprintf(w, "  %-26s %s\n", d.Name, d.Description)
	}
}

// printedList prints the defects or the personalities' differences when
// --defect list or --variant list asks for them.
func printedList(w io.Writer, defects listFlag, variant string) bool {
	switch {
	case len(defects) == 1 && strings.TrimSpace(defects[0]) == "list":
		printDefects(w)
	case strings.TrimSpace(variant) == "list":
		printVariants(w)
	default:
		return false
	}
	return true
}

func printVariants(w io.Writer) {
	fmt.Fprintln(w, "Server personalities (authflow serve --variant default|alt): where they answer differently")
	for _, v := range refserver.Variants() {
		fmt.Fprintf(w, "  %s\n      default: %s\n      alt:     %s\n", v.Behaviour, v.Default, v.Alt)
	}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

// runServe serves until ctx ends, then shuts down gracefully. ready, when
// set, is called with the address once the server accepts connections.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	sf, err := parseServeFlags(args, stdout)
	if errors.Is(err, errHelpShown) || errors.Is(err, errListShown) {
		return nil
	}
	if err != nil {
		return err
	}
	level, _ := parseLevel(sf.logLevel)
	opts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	if sf.logJSON {
		logger = slog.New(slog.NewJSONHandler(stderr, opts))
	} else {
		logger = slog.New(slog.NewTextHandler(stderr, opts))
	}
	cfg := sf.cfg
	cfg.Logger = logger

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageError(fmt.Errorf("listen: %w", err))
	}
	defer ln.Close()
	srv, err := refserver.New(cfg)
	if err != nil {
		return usageError(err)
	}
	defer srv.Close()

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	addr := ln.Addr().String()
	hooksState := "on"
	if cfg.DisableHooks {
		hooksState = "off"
	}
	attrs := []any{"address", "http://" + addr, "hooks", hooksState, "variant", cfg.Variant, "hash", cfg.Hash.String()}
	if cfg.Users.Count > 0 {
		attrs = append(attrs, "users", cfg.Users.Count, "usersFile", cfg.Users.File)
	}
	if len(cfg.Defects) > 0 {
		attrs = append(attrs, "defects", strings.Join(cfg.Defects, ","))
	}
	logger.Info("authflow reference server ready", attrs...)
	if sf.readyFile != "" {
		if err := writeFileAtomic(sf.readyFile, []byte("http://"+addr+"\n")); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
	}
	if ready != nil {
		ready(addr)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file and a rename,
// so a script polling for path never reads half of it.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
