// Command authflow runs the reference server, the conformance suite and the
// report renderer of authflow. Each subcommand lives in a file of its own and
// returns an error to the single exit point in main.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// ExitCode is a process exit status with a meaning.
type ExitCode int

// Exit codes. A command returns an *exitError to pick one; any other error
// exits with ExitFailure.
const (
	ExitOK      ExitCode = 0
	ExitFailure ExitCode = 1 // the run found a failure (a MUST check failed)
	ExitUsage   ExitCode = 2 // bad flags or configuration
	// ExitIncomplete: the target could not be tested (unreachable, test
	// hooks missing or broken, a check could not run, nothing verified).
	ExitIncomplete ExitCode = 3
)

// exitError carries an exit code up to main.
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a usage or configuration error (exit 2).
func usageError(err error) error { return &exitError{code: ExitUsage, err: err} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand file calls it from init.
func register(c command) { commands[c.name] = c }

func main() {
	os.Exit(int(run(os.Args[1:], os.Stdout, os.Stderr)))
}

func run(args []string, stdout, stderr io.Writer) ExitCode {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "authflow: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	err := cmd.run(args[1:], stdout, stderr)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "authflow %s: %v\n", cmd.name, ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "authflow %s: %v\n", cmd.name, err)
	return ExitFailure
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "authflow: load and conformance testing for authentication APIs")
	fmt.Fprintln(w, "\nUsage: authflow <command> [flags]   (authflow <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
