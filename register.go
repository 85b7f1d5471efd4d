// Package authflow registers the k6/x/authflow JavaScript module.
package authflow

import (
	"go.k6.io/k6/v2/js/modules"

	"github.com/authflow/authflow/extension"
)

func init() {
	modules.Register("k6/x/authflow", extension.New())
}
