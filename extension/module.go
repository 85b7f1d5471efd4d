// Package extension maps the authflow flows to JavaScript for k6.
package extension

import "go.k6.io/k6/v2/js/modules"

// RootModule is the global module object; k6 makes one instance of it per VU.
type RootModule struct{}

// ModuleInstance is the per-VU instance.
type ModuleInstance struct{ vu modules.VU }

var (
	_ modules.Module   = &RootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// NewModuleInstance implements modules.Module.
func (*RootModule) NewModuleInstance(vu modules.VU) modules.Instance { return &ModuleInstance{vu: vu} }

// Exports implements modules.Instance.
func (mi *ModuleInstance) Exports() modules.Exports { return modules.Exports{Named: map[string]any{}} }
