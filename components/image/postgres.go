package image

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PostgresEntrypoint is the path of the in-cluster database image's entrypoint (components/incluster/entrypoint).
const PostgresEntrypoint = "/entrypoint"

// PostgresBuild describes the in-cluster database image, assembled without a Docker daemon from the build
// machine's Debian PostgreSQL (its server programs, the shared libraries they load, its share directory and the
// time zone data) and the entrypoint built from Root. Debian's packages are the source because no registry is
// reachable from the machines this builds on; the image runs as the non-root user like the app's.
type PostgresBuild struct {
	// Root is the module root the entrypoint is built in.
	Root string
	// Major is the PostgreSQL major version installed under /usr/lib/postgresql (default: the newest there).
	Major string
	// Created is the creation time recorded in the image and on every file (default: the Unix epoch).
	Created time.Time
}

// postgresPrograms are the server programs the image carries: the server and initdb (the entrypoint runs both;
// initdb finds postgres beside itself).
var postgresPrograms = []string{"postgres", "initdb"}

// postgresLibs are the server's loadable modules initdb and a plain server need (PL/pgSQL, the snowball
// dictionaries initdb installs); the rest of the package's modules are extensions the app does not use.
var postgresLibs = []string{"plpgsql.so", "dict_snowball.so"}

// Build assembles the image. It fails with the package to install when the build machine has no PostgreSQL.
func (p PostgresBuild) Build(ctx context.Context) (v1.Image, error) {
	if p.Major == "" {
		majors, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
		slices.SortFunc(majors, func(a, b string) int { return versionOf(a) - versionOf(b) })
		if len(majors) == 0 {
			return nil, fmt.Errorf("building the database image: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)")
		}
		p.Major = strconv.Itoa(versionOf(majors[len(majors)-1]))
	}
	base := "/usr/lib/postgresql/" + p.Major
	bin, share := base+"/bin", "/usr/share/postgresql/"+p.Major
	var files []string
	for _, prog := range postgresPrograms {
		files = append(files, bin+"/"+prog)
	}
	for _, lib := range postgresLibs {
		files = append(files, base+"/lib/"+lib)
	}
	// initdb starts the server through popen(3), that is /bin/sh -c: the image needs a POSIX shell (Debian's
	// dash, stored as /bin/sh), though nothing else in it runs one.
	files = append(files, "/bin/sh")
	libs, err := sharedLibraries(ctx, files...)
	if err != nil {
		return nil, fmt.Errorf("building the database image: %w", err)
	}
	files = append(files, libs...)
	for _, dir := range []string{share, "/usr/share/zoneinfo"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// zoneinfo's posix (a link to itself) and the like: the files are there under their own names.
				if st, err := os.Stat(path); err == nil && st.IsDir() {
					return nil
				}
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("building the database image: reading %s: %w", dir, err)
		}
	}
	entrypoint, err := goBinary(ctx, p.Root, "./components/incluster/entrypoint", runtime.GOARCH,
		"-X main.BinDir="+bin)
	if err != nil {
		return nil, err
	}
	host, err := hostLayerFiles(files)
	if err != nil {
		return nil, fmt.Errorf("building the database image: %w", err)
	}
	uid := strconv.Itoa(NonRootUID)
	baseLayer, err := layer(p.Created, append(baseFiles(nil), file{path: "var/", mode: 0o755, dir: true},
		file{path: "var/lib/", mode: 0o755, dir: true}, file{path: "var/lib/postgresql/", mode: 0o755, dir: true},
		file{path: "var/lib/postgresql/data/", mode: 0o700, dir: true, uid: NonRootUID}))
	if err != nil {
		return nil, err
	}
	hostLayer, err := layer(p.Created, host)
	if err != nil {
		return nil, err
	}
	entryLayer, err := layer(p.Created, []file{{path: strings.TrimPrefix(PostgresEntrypoint, "/"), mode: 0o755, data: entrypoint}})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), baseLayer, hostLayer, entryLayer)
	if err != nil {
		return nil, fmt.Errorf("assembling the database image: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = runtime.GOARCH, "linux"
	cf.Created = v1.Time{Time: p.Created.UTC()}
	cf.Config.User = uid + ":" + uid
	cf.Config.Entrypoint = []string{PostgresEntrypoint}
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=" + bin, "PGDATA=/var/lib/postgresql/data/pgdata"}
	cf.Config.ExposedPorts = map[string]struct{}{"5432/tcp": {}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: p.Created.UTC()})
}

func versionOf(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// sharedLibraries lists the shared objects (and the dynamic loader) the given ELF files load, as ldd resolves them
// on the build machine.
func sharedLibraries(ctx context.Context, elfs ...string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "ldd", elfs...).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", strings.Join(elfs, " "), err)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i, w := range f {
			// "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
			// With several files ldd heads each list with "/path/file:".
			if strings.HasPrefix(w, "/") && !strings.HasSuffix(w, ":") && (i == 0 || f[i-1] == "=>") {
				seen[w] = true
			}
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("ldd found no shared libraries for %s", strings.Join(elfs, " "))
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	}), nil
}

// hostLayerFiles reads host files (following symbolic links: the image holds regular files at the paths the
// programs open) into layer entries with their parent directories, sorted, so that the layer is reproducible.
func hostLayerFiles(paths []string) ([]file, error) {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	dirs := map[string]bool{}
	var out []file
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(p, "/")
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			dirs[d+"/"] = true
		}
		out = append(out, file{path: rel, mode: int64(st.Mode().Perm()), data: data})
	}
	var dirEntries []file
	for d := range dirs {
		if d == "etc/" || d == "tmp/" {
			continue // the base layer's
		}
		dirEntries = append(dirEntries, file{path: d, mode: 0o755, dir: true})
	}
	slices.SortFunc(dirEntries, func(a, b file) int { return strings.Compare(a.path, b.path) })
	return append(dirEntries, out...), nil
}
