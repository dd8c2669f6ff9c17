package config

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
)

// facts/ holds the clouds' own rules as data, each file naming its sources: regions and their zones, instance
// families and their CPU architecture, and limits (tags, names, CIDRs, log retention). Validation reads them
// here, so a new region or family is a line in a file, not a code change.
//
//go:embed facts/*.tsv
var factFiles embed.FS

// factRows reads a tab-separated facts file: records of at least n fields, '#' lines and trailing '#' fields
// dropped.
func factRows(name string, n int) [][]string {
	f, err := factFiles.Open("facts/" + name)
	if err != nil {
		panic(fmt.Sprintf("facts/%s: %v", name, err)) // embedded at build time: a missing file is a build mistake
	}
	defer func() { _ = f.Close() }() // an embedded file: closing cannot fail in a way that matters
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		for i, fl := range fields {
			if strings.HasPrefix(fl, "#") {
				fields = fields[:i]
				break
			}
		}
		if len(fields) < n {
			panic(fmt.Sprintf("facts/%s: %q has fewer than %d fields", name, line, n))
		}
		rows = append(rows, fields)
	}
	return rows
}

// regionZones maps each region of a facts file to its zone count.
func regionZones(name string) map[string]int {
	out := map[string]int{}
	for _, r := range factRows(name, 2) {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			panic(fmt.Sprintf("facts/%s: zones of %s: %v", name, r[0], err))
		}
		out[r[0]] = n
	}
	return out
}

// CPU architectures of nodes.
const (
	ArchAMD64 = "amd64"
	ArchARM64 = "arm64"
)

// instanceFamilies maps cloud → instance family → architecture (amd64 or arm64).
var instanceFamilies = func() map[Cloud]map[string]string {
	out := map[Cloud]map[string]string{}
	for _, r := range factRows("instance-families.tsv", 3) {
		cloud := Cloud(r[0])
		if out[cloud] == nil {
			out[cloud] = map[string]string{}
		}
		arch := ArchAMD64
		if r[2] == "arm64" {
			arch = ArchARM64
		}
		out[cloud][r[1]] = arch
	}
	return out
}()

// limit returns a value of facts/limits.tsv.
func limit(cloud Cloud, name string) string {
	for _, r := range limitRows {
		if Cloud(r[0]) == cloud && r[1] == name {
			return r[2]
		}
	}
	panic(fmt.Sprintf("facts/limits.tsv has no %s %s", cloud, name))
}

var limitRows = factRows("limits.tsv", 3)

func limitInt(cloud Cloud, name string) int {
	n, err := strconv.Atoi(limit(cloud, name))
	if err != nil {
		panic(fmt.Sprintf("facts/limits.tsv: %s %s: %v", cloud, name, err))
	}
	return n
}

// limitRange reads a "min-max" limit.
func limitRange(cloud Cloud, name string) [2]int {
	lo, hi, ok := strings.Cut(limit(cloud, name), "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil {
		panic(fmt.Sprintf("facts/limits.tsv: %s %s is not min-max", cloud, name))
	}
	return [2]int{a, b}
}

func limitInts(cloud Cloud, name string) []int {
	var out []int
	for _, s := range strings.Split(limit(cloud, name), ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			panic(fmt.Sprintf("facts/limits.tsv: %s %s: %v", cloud, name, err))
		}
		out = append(out, n)
	}
	return out
}

func limitList(cloud Cloud, name string) []string { return strings.Split(limit(cloud, name), ",") }
