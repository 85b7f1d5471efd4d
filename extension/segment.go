package extension

import (
	"fmt"
	"math/big"
	"os"
	"strings"

	"go.k6.io/k6/v2/lib"
)

// A test split by execution segment (`k6 run --execution-segment`, as
// k6-operator runs each of its runners) keeps only its segment's slice of
// a user file, so that two instances never share a user and each holds
// only its own users. k6 shows a test's options to Go only once VU code
// runs, after the init context where openUsers() reads the file, so
// openUsers() reads the segment from k6's command line, and a picker built
// in VU code checks it against the options k6 runs with.

// commandLine is k6's command line (a variable for tests).
var commandLine = os.Args

// execSegment is [from, to) of the users of a file; the zero value is the
// whole file.
type execSegment struct {
	from, to *big.Rat
	name     string // as k6 writes it ("1/2:1"); "" for the whole file
}

func (s execSegment) split() bool { return s.name != "" }

// bounds returns the users [lo, hi) of total that are this segment's.
func (s execSegment) bounds(total int) (lo, hi int) {
	if !s.split() {
		return 0, int(^uint(0) >> 1)
	}
	at := func(r *big.Rat) int {
		x := new(big.Rat).Mul(r, new(big.Rat).SetInt64(int64(total)))
		return int(new(big.Int).Quo(x.Num(), x.Denom()).Int64())
	}
	return at(s.from), at(s.to)
}

// segmentOf reads k6's execution segment; nil or 0:1 is the whole test.
func segmentOf(es *lib.ExecutionSegment) (execSegment, error) {
	name := es.String()
	if es == nil || name == "0:1" {
		return execSegment{}, nil
	}
	from, to, _ := strings.Cut(name, ":")
	f, ok1 := new(big.Rat).SetString(from)
	t, ok2 := new(big.Rat).SetString(to)
	if !ok1 || !ok2 {
		return execSegment{}, fmt.Errorf("cannot read execution segment %q", name)
	}
	return execSegment{from: f, to: t, name: name}, nil
}

// commandLineSegment reads --execution-segment from k6's command line (the
// last one given, as k6 takes it).
func commandLineSegment(args []string) (execSegment, error) {
	const flag = "--execution-segment"
	value, found := "", false
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case a == flag && i+1 < len(args):
			value, found = args[i+1], true
			i++
		case strings.HasPrefix(a, flag+"="):
			value, found = strings.TrimPrefix(a, flag+"="), true
		}
	}
	if !found {
		return execSegment{}, nil
	}
	es, err := lib.NewExecutionSegmentFromString(value)
	if err != nil {
		return execSegment{}, fmt.Errorf("execution segment %q: %w", value, err)
	}
	return segmentOf(es)
}

// checkSegment holds that a user set was sliced for the execution segment
// the test runs with; in the init context there is nothing to check yet.
func (mi *ModuleInstance) checkSegment(set *userSet) error {
	state := mi.vu.State()
	if state == nil || set.path == "" {
		return nil
	}
	seg, err := segmentOf(state.Options.ExecutionSegment)
	if err != nil {
		return err
	}
	if seg.name == set.segment {
		return nil
	}
	show := func(s string) string {
		if s == "" {
			return "none (the whole test)"
		}
		return s
	}
	return fmt.Errorf("openUsers(%q) kept the users of execution segment %s, but this instance runs segment %s: "+
		"openUsers() reads the segment from k6's command line (--execution-segment), so give it there, "+
		"not in the script's options or a config file", set.path, show(set.segment), show(seg.name))
}
