package image

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ContentTag derives an immutable image tag from everything that goes into the build: the files of the build
// context that .dockerignore does not exclude, and the Dockerfile. Equal content gives an equal tag on every
// machine, so an unchanged app is never rebuilt or redeployed, and any change gives a new tag.
func ContentTag(contextDir, dockerfile string) (string, error) {
	ignore, err := readDockerignore(contextDir)
	if err != nil {
		return "", err
	}
	var files []string
	err = filepath.WalkDir(contextDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(contextDir, path)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if ignore.match(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing build context %s: %w", contextDir, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, rel := range files {
		if err := hashFile(h, rel, filepath.Join(contextDir, filepath.FromSlash(rel))); err != nil {
			return "", err
		}
	}
	if err := hashFile(h, "Dockerfile:"+filepath.Base(dockerfile), dockerfile); err != nil {
		return "", err
	}
	return "c-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func hashFile(h io.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()      // read-only: a close error loses nothing
	_, _ = fmt.Fprintf(h, "%s\x00", name) // hash writes never fail
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("hashing %s: %w", path, err)
	}
	_, _ = h.Write([]byte{0})
	return nil
}

// dockerignore holds .dockerignore patterns (with ! exceptions), matched the way the Docker CLI does for the
// common forms: globs per path, a pattern matching a directory excludes everything below it.
type dockerignore []struct {
	pattern string
	negate  bool
}

func readDockerignore(dir string) (dockerignore, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error loses nothing
	var out dockerignore
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/")
		line = strings.TrimSuffix(line, "/")
		out = append(out, struct {
			pattern string
			negate  bool
		}{filepath.ToSlash(filepath.Clean(line)), neg})
	}
	return out, sc.Err()
}

func (d dockerignore) match(rel string) bool {
	excluded := false
	for _, p := range d {
		if matchPath(p.pattern, rel) {
			excluded = !p.negate
		}
	}
	return excluded
}

// matchPath matches a pattern against a path or any of its parent directories; "**" matches any number of
// path segments.
func matchPath(pattern, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := len(parts); i > 0; i-- {
		if globMatch(strings.Split(pattern, "/"), parts[:i]) {
			return true
		}
	}
	return false
}

func globMatch(pat, path []string) bool {
	if len(pat) == 0 {
		return len(path) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(path); i++ {
			if globMatch(pat[1:], path[i:]) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return false
	}
	ok, err := filepath.Match(pat[0], path[0])
	return err == nil && ok && globMatch(pat[1:], path[1:])
}
