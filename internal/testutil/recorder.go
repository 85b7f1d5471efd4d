package testutil

import (
	"context"
	"slices"
	"sync"

	"github.com/authflow/authflow/b2core"
)

// Recorder is a b2core.Transport that remembers every request it passes on
// to Inner.
type Recorder struct {
	Inner b2core.Transport
	mu    sync.Mutex
	reqs  []b2core.Request
}

// Do records req and sends it through Inner.
func (r *Recorder) Do(ctx context.Context, req *b2core.Request) (*b2core.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, *req)
	r.mu.Unlock()
	return r.Inner.Do(ctx, req)
}

// Last is the last request sent.
func (r *Recorder) Last() b2core.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// All are the requests sent, in order.
func (r *Recorder) All() []b2core.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}
