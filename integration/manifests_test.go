package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The TestRun CRD of k6-operator v0.0.19, read from the module as the Go
// module proxy serves it (config/crd/bases/k6.io_testruns.yaml), so the
// schema is the release's own, checked against the Go checksum database.
const (
	k6OperatorModule = "github.com/grafana/k6-operator@v0.0.19"
	testRunCRD       = "config/crd/bases/k6.io_testruns.yaml"
)

// testRunSchema compiles the openAPIV3Schema of the CRD's version v1alpha1,
// made strict as the API server's field validation is: an object schema
// with properties accepts no other field unless it says so.
func testRunSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", k6OperatorModule)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	requireTool(t, k6OperatorModule+" from the Go module proxy", err)
	var mod struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &mod))
	b, err := os.ReadFile(filepath.Join(mod.Dir, testRunCRD))
	require.NoError(t, err)
	var crd struct {
		Spec struct {
			Names    struct{ Kind string }
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
				}
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &crd))
	require.Equal(t, "TestRun", crd.Spec.Names.Kind)
	for _, v := range crd.Spec.Versions {
		if v.Name != "v1alpha1" {
			continue
		}
		strict(v.Schema.OpenAPIV3Schema)
		c := jsonschema.NewCompiler()
		require.NoError(t, c.AddResource("testrun.json", toJSONValue(t, v.Schema.OpenAPIV3Schema)))
		s, err := c.Compile("testrun.json")
		require.NoError(t, err)
		return s
	}
	t.Fatalf("%s has no version v1alpha1", testRunCRD)
	return nil
}

// strict closes every object schema that lists its properties and neither
// keeps unknown fields nor sets additionalProperties.
func strict(node any) {
	switch n := node.(type) {
	case map[string]any:
		_, hasProps := n["properties"]
		_, hasAdd := n["additionalProperties"]
		if hasProps && !hasAdd && n["x-kubernetes-preserve-unknown-fields"] != true {
			n["additionalProperties"] = false
		}
		for _, c := range n {
			strict(c)
		}
	case []any:
		for _, c := range n {
			strict(c)
		}
	}
}

// toJSONValue turns a YAML document's value into what the validator reads.
func toJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return out
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(b, &doc), path)
	return doc
}

// TestK6OperatorTestRun validates deploy/k6-operator/testrun.yaml against
// the TestRun schema, and shows that the check refuses a misspelt field and
// a wrongly typed one.
func TestK6OperatorTestRun(t *testing.T) {
	schema := testRunSchema(t)
	for _, c := range []struct {
		name   string
		change func(doc map[string]any)
		ok     bool
	}{
		{"shipped", func(map[string]any) {}, true},
		{"misspelt field", func(d map[string]any) { spec(d)["paralelism"] = 4 }, false},
		{"parallelism as text", func(d map[string]any) { spec(d)["parallelism"] = "four" }, false},
		{"runner env without name", func(d map[string]any) {
			spec(d)["runner"].(map[string]any)["env"] = []any{map[string]any{"value": "x"}}
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := readYAML(t, filepath.Join("..", "deploy", "k6-operator", "testrun.yaml"))
			require.Equal(t, "k6.io/v1alpha1", doc["apiVersion"])
			require.Equal(t, "TestRun", doc["kind"])
			c.change(doc)
			err := schema.Validate(toJSONValue(t, doc))
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func spec(doc map[string]any) map[string]any { return doc["spec"].(map[string]any) }

// gitlabJobKeys are the job keywords of GitLab CI's .gitlab-ci.yml reference.
var gitlabJobKeys = map[string]bool{
	"after_script": true, "allow_failure": true, "artifacts": true, "before_script": true, "cache": true,
	"coverage": true, "dast_configuration": true, "dependencies": true, "environment": true, "extends": true,
	"hooks": true, "identity": true, "id_tokens": true, "image": true, "inherit": true, "interruptible": true,
	"manual_confirmation": true, "needs": true, "pages": true, "parallel": true, "release": true,
	"resource_group": true, "retry": true, "rules": true, "run": true, "script": true, "secrets": true,
	"services": true, "stage": true, "tags": true, "timeout": true, "trigger": true, "variables": true,
	"when": true, "only": true, "except": true,
}

// TestGitLabCIExample parses ci-examples/gitlab-ci.yml and checks its job:
// known keywords only, a script of commands, JUnit reports under artifacts.
func TestGitLabCIExample(t *testing.T) {
	doc := readYAML(t, filepath.Join("..", "ci-examples", "gitlab-ci.yml"))
	job, ok := doc["authflow-gate"].(map[string]any)
	require.True(t, ok, "job authflow-gate")
	for k := range job {
		assert.True(t, gitlabJobKeys[k], "%q is not a GitLab CI job keyword", k)
	}
	assert.NotEmpty(t, job["image"])
	assert.NotEmpty(t, job["stage"])
	for _, key := range []string{"script", "after_script"} {
		lines, ok := job[key].([]any)
		require.True(t, ok && len(lines) > 0, "%s is a list of commands", key)
		for _, l := range lines {
			s, ok := l.(string)
			assert.True(t, ok && strings.TrimSpace(s) != "", "%s has a non-command %v", key, l)
		}
	}
	art, _ := job["artifacts"].(map[string]any)
	reports, _ := art["reports"].(map[string]any)
	junit, _ := reports["junit"].([]any)
	assert.NotEmpty(t, junit, "artifacts.reports.junit")
	vars, _ := job["variables"].(map[string]any)
	for k, v := range vars {
		_, isString := v.(string)
		assert.True(t, isString, "variable %s is a string", k)
	}
}
