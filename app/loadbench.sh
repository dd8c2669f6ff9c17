#!/usr/bin/env bash
# Load benchmark of GET /api/v1/users/{id} (JWT, middleware, in-memory repository) against a bare net/http
# handler returning the same JSON, in one run, on loopback. With wrk and taskset available the server runs on
# core 0 (GOMAXPROCS=1) and wrk on core 1, so the load generator does not steal the server's CPU; otherwise
# the Go clients of `loadbench` share the machine with the server. Usage: app/loadbench.sh [connections] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-64} secs=${2:-10}
if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; then
	echo "wrk/taskset not found (apt-get install wrk util-linux) or one core: using the in-process Go load generator" >&2
	exec go run ./app/cmd/loadbench -c "$conns" -d "${secs}s" -tool go
fi
bin=$(mktemp -d)/loadbench
go build -o "$bin" ./app/cmd/loadbench
port=$((20000 + RANDOM % 20000))
GOMAXPROCS=1 taskset -c 0 "$bin" -serve "127.0.0.1:$port" >"$bin.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$(dirname "$bin")"' EXIT
for _ in $(seq 1 50); do grep -q '^token ' "$bin.out" && break; sleep 0.1; done
token=$(awk '/^token /{print $2}' "$bin.out")
path=$(awk '/^bare /{sub(/^http:\/\/[^/]+/, "", $2); print $2}' "$bin.out")
printf 'GET %s, %d connections, %ds, server on core 0 (GOMAXPROCS=1), wrk on core 1\n' "$path" "$conns" "$secs"
printf '%-30s %12s %10s %10s\n' target requests/s p50 p99
declare -A rps
for target in bare:$port app:$((port + 1)); do
	name=${target%%:*} p=${target##*:}
	url="http://127.0.0.1:$p$path"
	taskset -c 1 wrk -t1 -c"$conns" -d2s -H "Authorization: Bearer $token" "$url" >/dev/null
	out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" "$url")
	rps[$name]=$(awk '/Requests\/sec/{print $2}' <<<"$out")
	printf '%-30s %12s %10s %10s\n' "$name" "${rps[$name]}" "$(awk '$1=="50%"{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")"
	if grep -q "Non-2xx" <<<"$out"; then echo "errors: $(grep Non-2xx <<<"$out")" >&2; exit 1; fi
done
awk -v a="${rps[app]}" -v b="${rps[bare]}" 'BEGIN{printf "app/bare throughput ratio: %.2f (target >= 0.87)\n", a/b}'
