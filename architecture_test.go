package authflow_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/authflow/authflow"

// packageRule is one row of the package map in docs/ARCHITECTURE.md.
type packageRule struct {
	mayImport []string // authflow package directories, "." for the root
	k6        bool     // may import go.k6.io/k6 or sobek
}

// readPackageMap reads the machine-read table of docs/ARCHITECTURE.md.
func readPackageMap(t *testing.T) map[string]packageRule {
	t.Helper()
	f, err := os.Open("docs/ARCHITECTURE.md")
	require.NoError(t, err)
	defer f.Close()
	rules := map[string]packageRule{}
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "<!-- imports:begin -->":
			in = true
			continue
		case line == "<!-- imports:end -->":
			in = false
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.Len(t, cells, 4, "a row of the package map has 4 cells: %s", line)
		rule := packageRule{k6: strings.TrimSpace(cells[3]) == "yes"}
		for _, p := range strings.Split(cells[2], ",") {
			if p = strings.Trim(strings.TrimSpace(p), "`"); p != "-" && p != "" {
				rule.mayImport = append(rule.mayImport, p)
			}
		}
		rules[strings.Trim(strings.TrimSpace(cells[0]), "`")] = rule
	}
	require.NotEmpty(t, rules, "docs/ARCHITECTURE.md has no package map between its imports markers")
	return rules
}

// packageImports lists, per package directory, the imports of its non-test
// Go files.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "out" ||
			d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if _, ok := out[dir]; !ok {
			out[dir] = nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[dir] = append(out[dir], p)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// violations lists every import that rules do not allow, and every package
// missing from rules.
func violations(rules map[string]packageRule, imports map[string][]string) []string {
	var out []string
	for dir, imps := range imports {
		rule, ok := rules[dir]
		if !ok {
			out = append(out, "package "+dir+" is not in docs/ARCHITECTURE.md's package map")
			continue
		}
		for _, imp := range imps {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if target == "" {
					target = "."
				}
				if !slices.Contains(rule.mayImport, target) {
					out = append(out, dir+" imports "+target+", which docs/ARCHITECTURE.md does not allow")
				}
			case strings.HasPrefix(imp, "go.k6.io/k6/") || strings.HasPrefix(imp, "github.com/grafana/sobek"):
				if !rule.k6 {
					out = append(out, dir+" imports "+imp+": only the k6 extension may know k6")
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPackageMap holds the code to docs/ARCHITECTURE.md: every package is in
// the map, imports only the authflow packages its row allows, and only the
// rows that say so import k6.
func TestPackageMap(t *testing.T) {
	assert.Empty(t, violations(readPackageMap(t), packageImports(t)))
}

// TestPackageMapFindsViolations proves the check can fail: a map that forbids
// an import the code makes, denies k6 to the extension or lacks a package is
// reported.
func TestPackageMapFindsViolations(t *testing.T) {
	imports := packageImports(t)
	for name, edit := range map[string]func(map[string]packageRule){
		"refserver may not import b2core": func(r map[string]packageRule) {
			rule := r["refserver"]
			rule.mayImport = slices.DeleteFunc(slices.Clone(rule.mayImport), func(p string) bool { return p == "b2core" })
			r["refserver"] = rule
		},
		"extension may not import k6": func(r map[string]packageRule) {
			rule := r["extension"]
			rule.k6 = false
			r["extension"] = rule
		},
		"capacity is not in the map": func(r map[string]packageRule) { delete(r, "capacity") },
	} {
		t.Run(name, func(t *testing.T) {
			rules := readPackageMap(t)
			edit(rules)
			assert.NotEmpty(t, violations(rules, imports))
		})
	}
}
