package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/authflow/authflow/conformance"
)

func init() {
	register(command{
		name:    "verify",
		summary: "check the digest and signature of a conformance report",
		run:     runVerify,
	})
}

const verifyIntro = `Usage: authflow verify --report conformance.json [--pub KEY.pub [--sig conformance.json.sig]]

Checks that a conformance report is the one the suite wrote: its embedded
SHA-256 digest always, that its summary is the one its verdicts add up to
(counts and outcome recomputed), and with --pub its detached ed25519
signature (by default the file next to the report with .sig appended). Any
edit of the report makes the check fail.

Exit status: 0 when every check holds, 1 when one does not, 2 for a usage
error (a missing flag or file, an unreadable key).

Flags:
`

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), verifyIntro)
		fs.PrintDefaults()
	}
	report := fs.String("report", "", "the conformance.json `file` to check")
	sigPath := fs.String("sig", "", "the detached signature `file` (default: the report's path + .sig)")
	pubPath := fs.String("pub", "", "the signer's ed25519 public key `file` (PEM or Base64); checks the signature")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if *report == "" {
		return usageError(errors.New("--report is required"))
	}
	if *sigPath != "" && *pubPath == "" {
		return usageError(errors.New("--sig needs --pub (the public key to check it with)"))
	}
	b, err := os.ReadFile(*report)
	if err != nil {
		return usageError(err)
	}
	var pub []byte
	if *pubPath != "" {
		if pub, err = os.ReadFile(*pubPath); err != nil {
			return usageError(err)
		}
	}
	key, err := verifyParseKey(pub)
	if err != nil {
		return usageError(fmt.Errorf("--pub %s: %w", *pubPath, err))
	}

	digest, err := conformance.VerifyDigest(b)
	if err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s: %w", *report, err)}
	}
	fmt.Fprintf(stdout, "digest OK: %s\n", digest)
	if err := verifySummary(stdout, b); err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s: %w", *report, err)}
	}

	if key == nil {
		fmt.Fprintln(stdout, "signature: not checked (give --pub to check it)")
		return nil
	}
	sp := *sigPath
	if sp == "" {
		sp = *report + ".sig"
	}
	sig, err := os.ReadFile(sp)
	if err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("signature: %w", err)}
	}
	if err := conformance.VerifySignature(key, b, sig); err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("signature %s: %w", sp, err)}
	}
	fmt.Fprintf(stdout, "signature OK: %s by ed25519 key %s\n", sp, conformance.PublicKeyString(key))
	return nil
}

func verifyParseKey(b []byte) (ed25519.PublicKey, error) {
	if b == nil {
		return nil, nil
	}
	k, err := conformance.ParsePublicKey(b)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// verifySummary recomputes the summary from the report's verdicts, rejects
// a report whose summary says otherwise, and prints what it says.
func verifySummary(w io.Writer, b []byte) error {
	var r conformance.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("not a conformance report: %w", err)
	}
	var cfg struct {
		FailOnSkip bool `json:"failOnSkip"`
	}
	if raw, err := json.Marshal(r.Config); err == nil {
		_ = json.Unmarshal(raw, &cfg) // a config without the key: false
	}
	want := conformance.Summarize(r.Checks, cfg.FailOnSkip)
	if diff := summaryDiff(r.Summary, want); diff != "" {
		return fmt.Errorf("the summary does not match the verdicts: %s", diff)
	}
	fmt.Fprintf(w, "summary OK: recomputed from the %d verdicts\n", len(r.Checks))
	fmt.Fprintf(w, "report: %s %s against %s at %s: %s (%s)\n",
		r.Tool, r.Version, r.Target.BaseURL, r.Started.Format("2006-01-02T15:04:05Z07:00"),
		want.Headline(), want.Coverage())
	return nil
}

// summaryDiff says how the stated summary differs from the recomputed one.
func summaryDiff(got, want conformance.Summary) string {
	var d []string
	cmp := func(name string, g, w any) {
		if fmt.Sprint(g) != fmt.Sprint(w) {
			d = append(d, fmt.Sprintf("%s is %v, the verdicts give %v", name, g, w))
		}
	}
	cmp("outcome", got.Outcome, want.Outcome)
	cmp("passed", got.Passed, want.Passed)
	cmp("total", got.Total, want.Total)
	cmp("pass", got.Pass, want.Pass)
	cmp("fail", got.Fail, want.Fail)
	cmp("warn", got.Warn, want.Warn)
	cmp("skip", got.Skip, want.Skip)
	cmp("error", got.Error, want.Error)
	cmp("verified", got.Verified, want.Verified)
	cmp("skipCauses", got.SkipCauses, want.SkipCauses)
	return strings.Join(d, "; ")
}
