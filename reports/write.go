package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Output file names inside the report directory.
const (
	HTMLFile     = "index.html"
	MarkdownFile = "summary.md"
	JUnitFile    = "junit.xml"
)

// WriteDir writes index.html, summary.md and junit.xml into dir, creating
// it, and returns the paths written.
func WriteDir(dir string, m *Model) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	outputs := []struct {
		name   string
		render func(io.Writer, *Model) error
	}{
		{HTMLFile, RenderHTML},
		{MarkdownFile, RenderMarkdown},
		{JUnitFile, RenderJUnit},
	}
	var paths []string
	for _, o := range outputs {
		var buf bytes.Buffer
		if err := o.render(&buf, m); err != nil {
			return paths, err
		}
		p := filepath.Join(dir, o.name)
		if err := writeFileAtomic(p, buf.Bytes()); err != nil {
			return paths, fmt.Errorf("write %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeFileAtomic writes through a temporary file so a reader never sees
// half a report.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
