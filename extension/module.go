// Package extension is the k6 extension k6/x/authflow: a thin skin over the
// flows of package b2core (and capillary, testhooks) that maps them to
// JavaScript, sends their requests through the VU's own HTTP machinery so
// that k6 measures them, and adds what a load test needs on top: users
// shared by every VU, a user picker that knows the server's lockout and
// TOTP replay rules, a session pool, and flow metrics.
package extension

import (
	"errors"
	"fmt"
	"time"

	"github.com/grafana/sobek"
	"github.com/sirupsen/logrus"

	"go.k6.io/k6/v2/js/common"
	"go.k6.io/k6/v2/js/modules"

	"github.com/authflow/authflow/b2core"
)

// Version is the extension's version, exported to scripts as `version`.
const Version = "0.1.0"

// RootModule is the global module object: k6 makes one per test run and
// asks it for one ModuleInstance per VU. It holds what every VU shares:
// user files, picker states and session pools. Its zero value is ready.
type RootModule struct {
	userFiles userFiles
	pickers   pickers
	pools     pools
}

// ModuleInstance is the per-VU instance.
type ModuleInstance struct {
	vu      modules.VU
	root    *RootModule
	metrics *flowMetrics
}

var (
	_ modules.Module   = &RootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// New returns a RootModule.
func New() *RootModule { return &RootModule{} }

// NewModuleInstance implements modules.Module. It runs in the init context
// of each VU, where it registers the custom metrics (the registry hands
// every VU the same metric objects).
func (r *RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	mi := &ModuleInstance{vu: vu, root: r}
	if env := vu.InitEnv(); env != nil && env.Registry != nil {
		mi.metrics = registerMetrics(env.Registry)
	} else {
		common.Throw(vu.Runtime(), errors.New("k6/x/authflow must be imported in the init context"))
	}
	return mi
}

// Exports implements modules.Instance.
func (mi *ModuleInstance) Exports() modules.Exports {
	return modules.Exports{Named: map[string]any{
		"Client":      mi.newClient,
		"UserPicker":  mi.newUserPicker,
		"SessionPool": mi.newSessionPool,
		"Hooks":       mi.newHooks,
		"openUsers":   mi.openUsers,
		"totp":        mi.totp,
		"version":     Version,
		"outcomes":    allOutcomes,
	}}
}

// logger is the VU's logger, or the init context's.
func (mi *ModuleInstance) logger() logrus.FieldLogger {
	if st := mi.vu.State(); st != nil {
		return st.Logger
	}
	if env := mi.vu.InitEnv(); env != nil {
		return env.Logger
	}
	return nil
}

// totp implements totp(secret[, at]): the RFC 6238 code (SHA-1, 6 digits,
// 30 s) of a base32 secret now, or at a Date or Unix seconds.
func (mi *ModuleInstance) totp(secret sobek.Value, at sobek.Value) string {
	rt := mi.vu.Runtime()
	s, ok := exportOf(secret).(string)
	if !ok || s == "" {
		common.Throw(rt, fmt.Errorf("totp(secret[, at]): secret must be a base32 string, not %s", describe(secret)))
	}
	t := time.Now()
	if !common.IsNullish(at) {
		var err error
		if t, err = timeArg(at, "totp(secret, at): at"); err != nil {
			common.Throw(rt, err)
		}
	}
	code, err := b2core.TOTPCode(s, t)
	if err != nil {
		common.Throw(rt, fmt.Errorf("totp(): %w", err))
	}
	return code
}
