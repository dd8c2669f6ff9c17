#!/usr/bin/env bash
# Builds the pinned tools from the Go module proxy into a cache keyed by version, once; later calls reuse them.
#
#   infra/tools/tools.sh [pulumi|k8s-provider|kubernetes|kubernetes-node|etcd|kwok|all]   build (or reuse) and print bin dirs
#   infra/tools/tools.sh path                                              print the PATH additions only
#
# Cache: $WECHAT_DEPLOY_TOOLS (default ~/.cache/wechat-deploy/tools), one directory per tool and version.
# Clear it with: rm -rf ~/.cache/wechat-deploy/tools
# A pulumi CLI on PATH of the pinned version, and the Kubernetes provider plugin of the pinned version installed by
# `pulumi plugin install`, are used instead of building them (WECHAT_DEPLOY_BUILD_TOOLS=1 builds anyway).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${WECHAT_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/wechat-deploy/tools}
mkdir -p "$cache"

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "Go is not installed; install Go 1.26 (https://go.dev/dl) and retry"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# The compiler spends a fifth of its time collecting garbage at the default GOGC; these builds are large and run once.
export GOGC=${GOGC:-400}

# build_once <dir> <builder>: runs builder into a temp dir and renames it into place, so an interrupted build
# never leaves a half-filled cache entry behind.
build_once() {
	local dir=$1 builder=$2
	if [ -f "$dir/.complete" ]; then return 0; fi
	rm -rf "$dir".tmp.* # leftovers of interrupted builds
	local tmp="$dir.tmp.$$"
	rm -rf "$tmp" && mkdir -p "$tmp/bin" "$tmp/src"
	local start=$SECONDS
	log "building $(basename "$dir") (first time only; see $tmp/build.log)"
	if ! ( cd "$tmp/src" && "$builder" "$tmp" ) >"$tmp/build.log" 2>&1; then
		tail -n 40 "$tmp/build.log" >&2
		die "building $(basename "$dir") failed; full log: $tmp/build.log"
	fi
	rm -rf "$tmp/src"
	echo "$((SECONDS - start))" >"$tmp/build-seconds"
	touch "$tmp/.complete"
	rm -rf "$dir" && mv "$tmp" "$dir"
	log "built $(basename "$dir") in $((SECONDS - start))s"
}

# adopt <dir> <binary> <path> <what>: a binary of the pinned version that is already installed (pulumi/actions and
# `pulumi plugin install` on GitHub's runners, a release download) becomes the cache entry, linked, instead of a
# build. An adopted entry whose binary has gone is dropped, so the next call adopts or builds again.
adopt() {
	local dir=$1 bin=$2 src=$3 what=$4
	if [ -f "$dir/adopted-from" ] && [ ! -x "$dir/bin/$bin" ]; then rm -rf "$dir"; fi
	if [ -f "$dir/.complete" ] || [ -n "${WECHAT_DEPLOY_BUILD_TOOLS:-}" ] || [ ! -x "$src" ]; then return 0; fi
	local tmp="$dir.tmp.$$"
	rm -rf "$tmp" && mkdir -p "$tmp/bin"
	ln -s "$src" "$tmp/bin/$bin"
	echo "$src" >"$tmp/adopted-from"
	touch "$tmp/.complete"
	rm -rf "$dir" && mv "$tmp" "$dir"
	log "using $what $src (the pinned version: no build)"
}

# installed_pulumi prints the pulumi CLI on PATH when it is the pinned version and not one of this cache's.
installed_pulumi() {
	local p
	p=$(command -v pulumi 2>/dev/null) || return 0
	p=$(readlink -f "$p")
	case $p in "$cache"/*) return 0 ;; esac
	[ "$("$p" version 2>/dev/null)" = "v$PULUMI_VERSION" ] && echo "$p"
	return 0
}

build_pulumi() {
	local out=$1
	cat >go.mod <<EOT
module wechat-deploy/tools/pulumi

go 1.26

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOT
	go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
	go build -trimpath -o "$out/bin/pulumi" \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	"$out/bin/pulumi" version
}

build_k8s_provider() {
	local out=$1 mod=github.com/pulumi/pulumi-kubernetes/provider/v4
	local src
	src=$(go mod download -json "$mod@$PULUMI_K8S_PROVIDER_MODULE" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	[ -d "$src" ] || die "could not download $mod@$PULUMI_K8S_PROVIDER_MODULE"
	cp -r "$src" provider && chmod -R u+w provider
	(cd "$root" && go run ./infra/tools/schemaembed "$OLDPWD/provider/cmd/pulumi-resource-kubernetes" "$PULUMI_K8S_VERSION")
	mkdir wrapper && cd wrapper
	cat >go.mod <<EOT
module wechat-deploy/tools/k8sprovider

go 1.26

replace $mod => ../provider

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOT
	go get "$mod@$PULUMI_K8S_PROVIDER_MODULE"
	go build -trimpath -o "$out/bin/pulumi-resource-kubernetes" \
		-ldflags "-s -w -X $mod/pkg/version.Version=$PULUMI_K8S_VERSION" "$mod/cmd/pulumi-resource-kubernetes"
}

# kubernetes_module <src>: a go.mod in the current directory that builds k8s.io/kubernetes at the pinned release.
kubernetes_module() {
	local src=$1
	{
		echo "module wechat-deploy/tools/kubernetes"
		echo
		echo "go 1.26"
		echo
		# k8s.io/kubernetes replaces its staging modules with relative paths; pin them to the matching releases.
		awk -v v="v0.${KUBERNETES_VERSION#1.}" \
			'$1 ~ /^k8s\.io\// && $2 == "=>" && $3 ~ /^\.\/staging\// { print "replace " $1 " => " $1 " " v }' "$src/go.mod"
	} >go.mod
	[ "$(grep -c '^replace' go.mod)" -ge 20 ] || die "found too few staging modules in k8s.io/kubernetes go.mod"
	go get "k8s.io/kubernetes@v$KUBERNETES_VERSION"
}

# kubernetes_ldflags: stamp the version the binaries report (/version, kubectl version): clients check it.
kubernetes_ldflags() {
	local v="v$KUBERNETES_VERSION" minor=${KUBERNETES_VERSION#1.}
	minor=${minor%%.*}
	local ld="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld="$ld -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	echo "$ld"
}

# build_kubernetes_cmds <out> <cmd>...: builds commands of k8s.io/kubernetes at the pinned release into <out>/bin.
build_kubernetes_cmds() {
	local out=$1 src
	shift
	src=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	[ -f "$src/go.mod" ] || die "could not download k8s.io/kubernetes@v$KUBERNETES_VERSION"
	kubernetes_module "$src"
	local pkgs=()
	for c in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	go build -trimpath -o "$out/bin/" -ldflags "$(kubernetes_ldflags)" "${pkgs[@]}"
}

build_kubernetes() { build_kubernetes_cmds "$1" kube-apiserver kube-controller-manager kube-scheduler kubectl; }

# The node side of the same release: kubelet and kube-proxy, for the sandbox's real node. A tool of its own so that
# a cache holding the control plane is not rebuilt.
build_kubernetes_node() { build_kubernetes_cmds "$1" kubelet kube-proxy; }

build_etcd() {
	local out=$1
	cat >go.mod <<EOT
module wechat-deploy/tools/etcd

go 1.26
EOT
	cat >main.go <<'EOT'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOT
	local v=v$ETCD_VERSION
	go get "go.etcd.io/etcd/server/v3@$v" "go.etcd.io/etcd/api/v3@$v" "go.etcd.io/etcd/client/pkg/v3@$v" \
		"go.etcd.io/etcd/client/v3@$v" "go.etcd.io/etcd/pkg/v3@$v"
	go mod tidy
	go build -trimpath -o "$out/bin/etcd" -ldflags "-s -w" .
}

build_kwok() {
	local out=$1
	GOBIN="$out/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
	local src
	src=$(go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	mkdir -p "$out/stages"
	for stage in node/fast node/heartbeat-with-lease pod/fast; do
		for f in "$src/kustomize/stage/$stage"/*.yaml; do
			case $(basename "$f") in kustomization.yaml) continue ;; esac
			cp "$f" "$out/stages/$(echo "$stage" | tr / -)-$(basename "$f")"
		done
	done
	ls "$out/stages" | grep -q . || die "no KWOK stages found in $src/kustomize/stage"
}

tool_dir() {
	case $1 in
	pulumi) echo "$cache/pulumi-$PULUMI_VERSION" ;;
	k8s-provider) echo "$cache/pulumi-resource-kubernetes-$PULUMI_K8S_VERSION" ;;
	kubernetes) echo "$cache/kubernetes-$KUBERNETES_VERSION" ;;
	kubernetes-node) echo "$cache/kubernetes-node-$KUBERNETES_VERSION" ;;
	etcd) echo "$cache/etcd-$ETCD_VERSION" ;;
	kwok) echo "$cache/kwok-$KWOK_VERSION" ;;
	*) die "unknown tool $1 (pulumi, k8s-provider, kubernetes, kubernetes-node, etcd, kwok)" ;;
	esac
}

ensure() {
	local t=$1 dir
	dir=$(tool_dir "$t")
	case $t in
	pulumi) adopt "$dir" pulumi "$(installed_pulumi)" "the pulumi CLI" ;;
	k8s-provider)
		adopt "$dir" pulumi-resource-kubernetes \
			"${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$PULUMI_K8S_VERSION/pulumi-resource-kubernetes" \
			"the Kubernetes provider plugin"
		;;
	esac
	build_once "$dir" "build_${t//-/_}"
}

all_tools="pulumi k8s-provider kubernetes kubernetes-node etcd kwok"
case ${1:-all} in
path)
	for t in $all_tools; do printf '%s:' "$(tool_dir "$t")/bin"; done
	echo
	;;
dir) tool_dir "${2:?tool name}" ;;
all) for t in $all_tools; do ensure "$t"; done ;;
*) for t in "$@"; do ensure "$t"; done ;;
esac
