# wechat-deploy: run `make help` for the targets. Everything needs only Go 1.26; the pinned tools (pulumi CLI,
# Kubernetes provider, control plane, KWOK) are built from the Go module proxy into ~/.cache/wechat-deploy/tools.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
STACK ?= local
# make up STACK=dev SECRETS_FILE=~/dev-secrets.env sets the config secrets listed there (key=value lines).
export SECRETS_FILE
# Tests that need PostgreSQL use this database (.ci/run creates it).
WECHAT_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/wechat_test?sslmode=disable
export WECHAT_TEST_POSTGRES_URL
# Every go command builds with -trimpath: a package's cache entry then no longer depends on the directory it sits
# in, so the pre-push hook's worktree, a fresh clone and this checkout share one build cache instead of each
# compiling the module again. (golangci-lint's own `go list` reads GOFLAGS too, so lint shares it as well.)
# Added to the effective GOFLAGS (`go env`: the environment or the user's go env file, which an exported GOFLAGS
# would otherwise hide).
export GOFLAGS := $(strip $(filter-out -trimpath,$(shell $(GO) env GOFLAGS)) -trimpath)
# The compiler spends a fifth of a cold build collecting garbage: with GOGC=400 `go build -a std` takes 34 s
# instead of 42 s here, at ~2x the compiler's memory. Used for the test stages' builds (make test), not by what
# the tests start.
COMPILE_GOGC ?= 400
vet unit race lint: export GOGC = $(COMPILE_GOGC)

# The packages with concurrency of their own (the app's handlers, rate limiter and pools; the sandbox's process
# supervision) run again under the race detector. The others start no goroutine:
# instrumenting them and the cloud SDKs they import would cost many minutes of a cold build and find nothing.
RACE_PKGS := ./app/... ./infra/sandbox/...

.PHONY: help test vet unit race fmt fmt-check lint build policy-pack tools hooks preview up rollback destroy refresh outputs \
	sandbox-up sandbox-down sandbox-status e2e bench deploybench loadbench golden clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

test: fmt-check vet lint unit race ## gofmt, vet, lint and every unit test (what CI runs first)

vet: ## go vet
	$(GO) vet ./...

unit: ## unit tests: components and whole stacks under Pulumi mocks, policy rules, the app (with PostgreSQL)
	$(GO) test -count=1 ./...

race: ## the concurrent packages again under the race detector
	$(GO) test -count=1 -race $(RACE_PKGS)

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

fmt-check: ## fail when a file is not gofmt'ed
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: ## golangci-lint with .golangci.yml (built from the module proxy on first use)
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run --build-tags e2e ./...

build: policy-pack ## build every binary into bin/
	$(GO) build ./...
	$(GO) build -o bin/server ./app/cmd/server
	$(GO) build -o bin/release ./infra/cmd/release
	$(GO) build -o bin/sandbox ./infra/cmd/sandbox

policy-pack: ## build the policy pack executable (bin/policy-pack)
	$(GO) build -o bin/policy-pack ./policy

hooks: ## use the versioned git hooks (.githooks/pre-push: vet, unit tests, local preview with the policy pack)
	git config core.hooksPath .githooks
	@echo "pre-push hook installed; skip it for one push with: git push --no-verify"

tools: ## build (once) the pinned pulumi CLI, Kubernetes provider, control plane and KWOK
	bash infra/tools/tools.sh all

preview: ## pulumi preview of STACK (default local) with the policy pack
	$(GO) run ./infra/cmd/release -stack $(STACK) preview

up: ## deploy STACK (default local; into the sandbox when no cluster is configured)
	$(GO) run ./infra/cmd/release -stack $(STACK) up

rollback: ## redeploy an earlier successful update of STACK (TO=<update number or sha256:digest>; default: the last one running another image)
	$(GO) run ./infra/cmd/release -stack $(STACK) $(if $(TO),-to $(TO)) rollback

destroy: ## destroy STACK
	$(GO) run ./infra/cmd/release -stack $(STACK) destroy

refresh: ## refresh STACK's state from the cloud
	$(GO) run ./infra/cmd/release -stack $(STACK) refresh

outputs: ## print STACK's outputs (secrets masked)
	$(GO) run ./infra/cmd/release -stack $(STACK) outputs

sandbox-up: ## start the local cluster: control plane, a real node (root; containerd) and a KWOK node (SIMULATED=1: KWOK only)
	$(GO) run ./infra/cmd/sandbox $(if $(SIMULATED),-simulated) up

sandbox-down: ## stop it (logs are kept)
	$(GO) run ./infra/cmd/sandbox down

sandbox-status: ## show its processes and kubeconfig
	$(GO) run ./infra/cmd/sandbox status

e2e: ## end to end on the sandbox: up, no-op preview, update, policy gate, destroy
	$(GO) test -count=1 -tags e2e -timeout 40m -v ./infra/e2e/...

bench: ## Go benchmarks (program under mocks, app handler)
	$(GO) test -run '^$$' -bench . -benchmem ./infra/program/ ./app/internal/handler/

deploybench: ## engine time of up (create, image update) and no-op preview against kubectl on the sandbox's real node (root, tools built; N=3: three runs, each on a fresh sandbox)
	$(GO) test -tags e2e -run '^$$' -bench BenchmarkDeploy -benchtime 1x -count $(or $(N),1) -timeout 60m ./infra/e2e/

loadbench: ## app vs bare net/http on loopback, 64 connections (server and wrk on separate cores when available)
	bash app/loadbench.sh 64 10

golden: ## refresh the per-stack resource lists after a reviewed change
	$(GO) test ./infra/program/ -run TestStacks -update

clean: ## remove build output (not the tool cache, not state)
	rm -rf bin
