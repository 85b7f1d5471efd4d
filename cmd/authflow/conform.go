package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/authflow/authflow/conformance"
)

func init() {
	register(command{
		name:    "conform",
		summary: "run the conformance suite against a server and write its verdict",
		run: func(args []string, stdout, stderr io.Writer) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runConform(ctx, args, stdout, stderr)
		},
	})
}

const conformIntro = `Usage: authflow conform (--config FILE | --target URL) [flags]

Runs the conformance suite against a server that speaks the B2Core client
API v2 (and the Capillary MFA password change) and says, check by check,
what holds and what does not, with evidence. The suite makes its own
accounts through the test hooks (CONTRACT.md, contract v1); checks that need
a hook the server does not offer are SKIPPED, never passed.

Exit status:
  0  CONFORMANT: every MUST check that ran passed (or failed only as the
     baseline allows) and nothing kept the target from being tested
  1  NON-CONFORMANT: a MUST check failed (or was skipped, with --fail-on-skip)
  2  a usage or configuration error
  3  INCOMPLETE: the target could not be tested: unreachable, test hooks
     missing or broken, a MUST check ended in ERROR, nothing verified, or
     the run was interrupted

Files written with --out DIR: conformance.junit.xml, conformance.json (with
its SHA-256 digest), conformance.md, and conformance.json.sig with
--sign-key. Check them with: authflow verify --report DIR/conformance.json
[--pub KEY.pub].

Flags (each overrides the configuration file; see conformance/example.yaml):
`

// conformFlags are the command's flags.
type conformFlags struct {
	fs                                               *flag.FlagSet
	config, target, hooks, profile, groups, checks   string
	exclude, out, baseline, blockWait, expiryWait    string
	signKey, genKey, color                           string
	parallel, lockoutStatus                          int
	noShorten, policyFromHooks, list, quiet, verbose bool
	failOnSkip                                       bool
}

func parseConformFlags(args []string, stderr io.Writer) (*conformFlags, error) {
	f := &conformFlags{fs: flag.NewFlagSet("conform", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), conformIntro)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.config, "config", "", "configuration `file` (YAML or JSON, strict: unknown keys are an error)")
	fs.StringVar(&f.target, "target", "", "base `URL` of the API (the B2Core calls are below /api/v2/my)")
	fs.StringVar(&f.hooks, "hooks", "", "base `URL` of the test hooks (e.g. http://host/__hooks)")
	fs.StringVar(&f.profile, "profile", "", "comma-separated `profiles`: b2core,capillary (default both)")
	fs.StringVar(&f.groups, "groups", "", "comma-separated check `groups` to run (default all; --list shows them)")
	fs.StringVar(&f.checks, "checks", "", "comma-separated check `IDs` or ID prefixes to run (e.g. LOCK-,TOKEN-002)")
	fs.StringVar(&f.exclude, "exclude", "", "comma-separated check `IDs` or ID prefixes not to run")
	fs.StringVar(&f.out, "out", "", "`directory` for conformance.junit.xml, conformance.json and conformance.md")
	fs.StringVar(&f.baseline, "baseline", "", "`file` of expected failures (check IDs with reasons)")
	fs.StringVar(&f.blockWait, "max-block-wait", "", "longest `duration` to wait for a lockout block to end (default 30s)")
	fs.StringVar(&f.expiryWait, "max-expiry-wait", "", "longest `duration` to wait for uuids, codes and tokens to expire (default 0: SKIP)")
	fs.StringVar(&f.signKey, "sign-key", "", "ed25519 private key `file` (PEM PKCS#8 or Base64 seed) to sign conformance.json")
	fs.StringVar(&f.genKey, "gen-key", "", "write a new ed25519 key pair to `file` and file.pub, and exit")
	fs.StringVar(&f.color, "color", "auto", "colour the terminal output: `auto`, always or never")
	fs.IntVar(&f.parallel, "parallel", 0, "how many checks run at once outside the lockout phase (default 8)")
	fs.IntVar(&f.lockoutStatus, "lockout-status", 0, "HTTP `status` of a blocked sign-in or refresh (default 429)")
	fs.BoolVar(&f.noShorten, "no-shorten", false, "do not shorten the lockout block through PUT {hooks}/policy")
	fs.BoolVar(&f.policyFromHooks, "policy-from-hooks", false, "expect the policy GET {hooks}/policy answers instead of the configured one")
	fs.BoolVar(&f.failOnSkip, "fail-on-skip", false, "a SKIPPED MUST check fails the run (exit 1)")
	fs.BoolVar(&f.list, "list", false, "list the checks and exit")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the summary")
	fs.BoolVar(&f.verbose, "v", false, "also print the notes of the checks that passed")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return f, nil
}

// conformList splits a comma-separated flag value.
func conformList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// config builds the run's configuration: the file (if any), then every
// flag that was set.
func (f *conformFlags) buildConfig() (*conformance.Config, error) {
	cfg := &conformance.Config{}
	if f.config != "" {
		c, err := conformance.LoadConfig(f.config)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "target":
			cfg.Target = f.target
		case "hooks":
			cfg.Hooks = f.hooks
		case "profile":
			cfg.Profiles = conformList(f.profile)
		case "groups":
			cfg.Groups = conformList(f.groups)
		case "checks":
			cfg.Checks = conformList(f.checks)
		case "exclude":
			cfg.Exclude = conformList(f.exclude)
		case "baseline":
			cfg.Baseline = f.baseline
		case "parallel":
			cfg.Parallelism = f.parallel
		case "lockout-status":
			cfg.LockoutStatus = f.lockoutStatus
		case "no-shorten":
			no := !f.noShorten
			cfg.Policy.Shorten = &no
		case "fail-on-skip":
			cfg.FailOnSkip = f.failOnSkip
		case "policy-from-hooks":
			cfg.Policy.FromHooks = f.policyFromHooks
		case "max-block-wait", "max-expiry-wait":
			d, perr := conformance.ParseDuration(fl.Value.String())
			if perr != nil {
				err = fmt.Errorf("--%s: %w", fl.Name, perr)
				return
			}
			if fl.Name == "max-block-wait" {
				cfg.Waits.Block = conformance.Duration(d)
			} else {
				cfg.Waits.Expiry = conformance.Duration(d)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if f.config == "" && cfg.Target == "" {
		return nil, errors.New("give --config FILE or --target URL")
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// conformColor decides whether to colour the output.
func conformColor(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := w.(*os.File)
		return ok && conformance.IsTerminal(f), nil
	}
	return false, fmt.Errorf("--color must be auto, always or never, got %q", mode)
}

// conformVersion is the module version of this build.
func conformVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseConformFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return usageError(err)
	}
	if f.genKey != "" {
		pub, err := conformance.GenerateKey(f.genKey)
		if err != nil {
			return usageError(fmt.Errorf("--gen-key: %w", err))
		}
		fmt.Fprintf(stdout, "wrote the ed25519 private key to %s and the public key to %s.pub\npublic key: %s\n", f.genKey, f.genKey, conformance.PublicKeyString(pub))
		return nil
	}
	if f.list {
		conformPrintList(stdout)
		return nil
	}
	cfg, err := f.buildConfig()
	if err != nil {
		return usageError(err)
	}
	color, err := conformColor(f.color, stdout)
	if err != nil {
		return usageError(err)
	}
	var key ed25519.PrivateKey
	if f.signKey != "" {
		if f.out == "" {
			return usageError(errors.New("--sign-key needs --out (the signature is written next to conformance.json)"))
		}
		b, err := os.ReadFile(f.signKey)
		if err != nil {
			return usageError(fmt.Errorf("--sign-key: %w", err))
		}
		if key, err = conformance.ParsePrivateKey(b); err != nil {
			return usageError(fmt.Errorf("--sign-key %s: %w", f.signKey, err))
		}
	}
	var bl *conformance.Baseline
	if cfg.Baseline != "" {
		if bl, err = conformance.LoadBaseline(cfg.Baseline); err != nil {
			return usageError(err)
		}
	}

	term := &conformance.Terminal{W: stdout, Color: color, Verbose: f.verbose}
	opts := conformance.Options{Version: conformVersion(), Baseline: bl}
	if !f.quiet {
		opts.Start = func(checks []conformance.Check) { term.Start(cfg.Target, checks) }
		opts.Progress = term.Check
	}
	rep, err := conformance.Run(ctx, cfg, opts)
	if err != nil && ctx.Err() != nil {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("interrupted: %w", err)}
	}
	if err != nil {
		var ce *conformance.ConfigError
		if errors.As(err, &ce) {
			return usageError(err)
		}
		if errors.Is(err, conformance.ErrUnreachable) {
			return &exitError{code: ExitIncomplete, err: fmt.Errorf("the target cannot be tested: %w", err)}
		}
		return &exitError{code: ExitFailure, err: err}
	}
	term.Summary(rep)
	if f.out != "" {
		if err := conformance.WriteFiles(f.out, rep, key); err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("writing the results to %s: %w", f.out, err)}
		}
		fmt.Fprintf(stdout, "results: %s/{%s,%s,%s}", f.out, conformance.FileJUnit, conformance.FileJSON, conformance.FileMarkdown)
		if key != nil {
			fmt.Fprintf(stdout, " and %s", conformance.FileSig)
		}
		fmt.Fprintf(stdout, " (digest %s)\n", rep.Digest)
	}
	if ctx.Err() != nil {
		return &exitError{code: ExitIncomplete, err: errors.New("interrupted: the verdict is incomplete")}
	}
	return conformExit(rep.Summary)
}

// conformExit maps the run's outcome to the exit status.
func conformExit(s conformance.Summary) error {
	switch s.Outcome {
	case conformance.Conformant:
		return nil
	case conformance.NonConformant:
		return &exitError{code: ExitFailure, err: fmt.Errorf("the target is not conformant: %s", s.Headline())}
	}
	return &exitError{code: ExitIncomplete, err: fmt.Errorf("the target could not be fully tested: %s (see the notes and the SKIP and ERROR reasons)", s.Headline())}
}

// conformPrintList prints the catalogue of checks.
func conformPrintList(w io.Writer) {
	fmt.Fprintf(w, "%-11s %-6s %-10s %-11s %s\n", "ID", "LEVEL", "GROUP", "PROFILE", "TITLE")
	for _, c := range conformance.Catalogue() {
		fmt.Fprintf(w, "%-11s %-6s %-10s %-11s %s\n", c.ID, c.Level, c.Group, c.Profile, c.Title)
	}
	fmt.Fprintf(w, "\ngroups: %s\n", strings.Join(conformance.Groups(), ", "))
}
