package componenttest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current results")

// Golden compares lines with the golden file at path (one line each, trailing newline), rewriting the file
// instead when the test binary runs with -update.
func Golden(t testing.TB, path string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run the test with -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the result (review, then refresh with -update):\n%s", path, diff(strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"), lines))
	}
}

// diff is a small line diff: lines only in want get "-", lines only in got get "+".
func diff(want, got []string) string {
	in := func(list []string) map[string]int {
		m := map[string]int{}
		for _, l := range list {
			m[l]++
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range want {
		if g[l] == 0 {
			b.WriteString("- " + l + "\n")
		} else {
			g[l]--
		}
	}
	for _, l := range got {
		if w[l] == 0 {
			b.WriteString("+ " + l + "\n")
		} else {
			w[l]--
		}
	}
	return b.String()
}

// GoldenSection keeps the text between two marker lines of a file (a generated part of a document, such as a
// README table) equal to content, rewriting it instead under -update.
func GoldenSection(t testing.TB, path, startMark, endMark, content string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start, end := strings.Index(doc, startMark), strings.Index(doc, endMark)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the markers %q ... %q", path, startMark, endMark)
	}
	body := start + len(startMark) + 1
	if doc[body:end] == content {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:body]+content+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the section after %q is out of date; rerun the test with -update and review the change", path, startMark)
}
