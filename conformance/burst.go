package conformance

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/authflow/authflow/b2core"
)

// A burst sends requests at the same instant, the way an attacker probes
// a check-then-act race: every request gets its own connection, dialled
// (and TLS-handshaken) before the burst, and a goroutine that waits at a
// barrier; the barrier then releases all of them at once. No connection
// set-up sits between the release and the requests.

// burstReq is one request of a burst.
type burstReq struct {
	step, method, path string
	body               any
	opts               []callOpt
}

// withTransport sends the request through tr instead of the run's client.
func withTransport(tr *b2core.HTTPTransport) callOpt {
	return func(o *callOpts) { o.via = tr }
}

// burst sends reqs all at once and returns their exchanges, in order. A
// request that gets no answer ends the check as ERROR.
func (t *T) burst(reqs []burstReq) []*X {
	trs := make([]*b2core.HTTPTransport, len(reqs))
	for i := range reqs {
		tr, release, err := t.r.preDialled(t.ctx)
		if err != nil {
			t.Errorf("setup: dialling connection %d of a burst of %d: %v", i+1, len(reqs), err)
		}
		defer release()
		trs[i] = tr
	}
	xs := make([]*X, len(reqs))
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i, rq := range reqs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			opts := append(slices.Clone(rq.opts), withTransport(trs[i]), tolerateNoAnswer())
			ready.Done()
			<-start
			xs[i] = t.call(rq.step, rq.method, rq.path, rq.body, opts...)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for _, x := range xs {
		if x.Err != nil {
			t.Errorf("%s: %s %s got no answer during a burst: %v", x.Step, x.Req.Method, pathOnly(x.Req.Path), x.Err)
		}
	}
	return xs
}

// preDialled returns a transport to the target with one connection already
// open, which its first request uses, and the function that closes its
// connections.
func (r *run) preDialled(ctx context.Context) (*b2core.HTTPTransport, func(), error) {
	u, err := url.Parse(r.cfg.Target)
	if err != nil {
		return nil, nil, err
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	dctx, cancel := context.WithTimeout(ctx, r.cfg.Timeouts.Request.D())
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	var tlsCfg *tls.Config
	if u.Scheme == "https" {
		tlsCfg = r.tlsConfig(u.Hostname())
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	var mu sync.Mutex
	first := conn
	take := func() net.Conn {
		mu.Lock()
		defer mu.Unlock()
		c := first
		first = nil
		return c
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c := take(); c != nil {
			return c, nil
		}
		if tlsCfg != nil {
			return (&tls.Dialer{Config: tlsCfg}).DialContext(ctx, network, addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	tr := &http.Transport{DialContext: dial, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	if tlsCfg != nil {
		tr.DialTLSContext = dial
	}
	release := func() {
		tr.CloseIdleConnections()
		if c := take(); c != nil { // never used
			c.Close()
		}
	}
	return &b2core.HTTPTransport{BaseURL: r.api.BaseURL, Client: &http.Client{Transport: tr}, Header: r.api.Header}, release, nil
}

// tlsConfig is the run client's TLS configuration for server name sn.
func (r *run) tlsConfig(sn string) *tls.Config {
	cfg := &tls.Config{}
	if ht, ok := r.api.Client.Transport.(*http.Transport); ok && ht.TLSClientConfig != nil {
		cfg = ht.TLSClientConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = sn
	}
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}
