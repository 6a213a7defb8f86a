# Image URL to use all building/pushing image targets
IMG ?= controller:latest

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker.
CONTAINER_TOOL ?= docker

# Extra flags for `go test` in `make test`, e.g. TEST_ARGS="-run TestFoo -v".
TEST_ARGS ?=

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the ClusterRole, the namespace-scoped Role and the CustomResourceDefinitions.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="./api/...;./controllers/..." output:crd:artifacts:config=config/crd/bases
	go run ./hack/namespacedrole config/rbac/role.yaml config/namespaced/role.yaml

.PHONY: generate
generate: controller-gen ## Generate code containing DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# The tests of cmd/demo start the demo binary, interrupt and kill it (ENTRA_DEMO_BIN_DIR, ENTRA_DEMO_KUBECTL);
# then the one-shot demo runs exactly as the README tells a newcomer to, so neither can rot.
.PHONY: test
test: manifests generate fmt vet envtest demo-binaries ## Run unit and envtest suites, then the one-shot demo (builds envtest binaries on first use).
	KUBEBUILDER_ASSETS="$$($(ENVTEST_ENV) hack/envtest.sh)" ENTRA_DEMO_BIN_DIR="$(LOCALBIN)" \
	ENTRA_DEMO_KUBECTL="$$($(DEMO_KUBECTL_CMD))" \
		go test ./... -timeout 30m -coverprofile cover.out $(TEST_ARGS)
	$(MAKE) --no-print-directory demo ONESHOT=1

# BENCH_ARGS passes flags to bin/bench (bin/bench --help): e.g. BENCH_ARGS="--objects=5000 --latency-bulk=1000
# --steady-window=10m" for the full run, BENCH_ARGS=--restart for the restart scenario.
BENCH_ARGS ?=

.PHONY: bench
bench: manifests envtest demo-binaries ## Benchmark the shipped manager against the emulator binary and a local control plane (BENCH_ARGS=...).
	@hack/with-progress.sh "go build bin/bench" go build -o "$(LOCALBIN)/bench" ./cmd/bench
	@kubectl="$$($(DEMO_KUBECTL_CMD))"; \
	assets="$$($(ENVTEST_ENV) hack/envtest.sh)"; \
	exec "$(LOCALBIN)/bench" --assets-dir "$$assets" --kubectl "$$kubectl" \
		--manager "$(LOCALBIN)/manager" --emulator "$(LOCALBIN)/entra-emulator" --config-dir config \
		--kubeconfig "$(LOCALBIN)/bench.kubeconfig" $(BENCH_ARGS)

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter.
	"$(GOLANGCI_LINT)" run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes.
	"$(GOLANGCI_LINT)" run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration.
	"$(GOLANGCI_LINT)" config verify

# GIT_OPTIONAL_LOCKS=0 keeps git from refreshing the index while it only looks.
.PHONY: verify
verify: manifests generate ## Fail if generated CRDs, RBAC or deepcopy code are out of date.
	@if ! GIT_OPTIONAL_LOCKS=0 git diff --exit-code --stat -- api config; then \
		echo "error: generated files under api/ or config/ are out of date: run 'make manifests generate' and commit the result" >&2; \
		exit 1; \
	fi
	@untracked="$$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=all -- api config | grep '^??' || true)"; \
	if [ -n "$$untracked" ]; then \
		echo "$$untracked" >&2; \
		echo "error: untracked files under api/ or config/: run 'make manifests generate' and add the generated files to git" >&2; \
		exit 1; \
	fi

##@ Demo

# `make demo` runs the operator's main job on this machine (see README.md): kube-apiserver and etcd, the
# Entra emulator and bin/manager on fixed loopback ports, then `kubectl apply -k config/samples`, a wait for
# Ready and a summary proving each Secret works. It runs until Ctrl-C; ONESHOT=1 exits after the summary
# (0 when every sample became Ready and every proof passed).
ONESHOT ?=
DEMO_APISERVER_PORT ?= 16443
DEMO_ETCD_PORT ?= 12379
DEMO_ETCD_PEER_PORT ?= 12380
DEMO_EMULATOR_PORT ?= 18443
DEMO_MANAGER_PROBE_PORT ?= 18081
# The cluster admin's kubeconfig while the demo runs: KUBECONFIG=bin/demo.kubeconfig kubectl get appregistrations.
DEMO_KUBECONFIG ?= $(LOCALBIN)/demo.kubeconfig
# DEMO_KUBECTL names a kubectl; empty lets hack/kubectl.sh pick one (building it when the machine has none).
DEMO_KUBECTL ?=
# DEMO_ARGS passes more flags to the demo binary (bin/demo --help), e.g. DEMO_ARGS=--ready-timeout=10m.
DEMO_ARGS ?=
DEMO_KUBECTL_CMD = if [ -n "$(DEMO_KUBECTL)" ]; then echo "$(DEMO_KUBECTL)"; else $(ENVTEST_ENV) hack/kubectl.sh; fi

.PHONY: demo
demo: manifests envtest demo-binaries ## Run the operator locally against the Entra emulator and apply the samples (ONESHOT=1 exits after the summary).
	@kubectl="$$($(DEMO_KUBECTL_CMD))"; \
	assets="$$($(ENVTEST_ENV) hack/envtest.sh)"; \
	exec "$(LOCALBIN)/demo" --assets-dir "$$assets" --kubectl "$$kubectl" \
		--manager "$(LOCALBIN)/manager" --emulator "$(LOCALBIN)/entra-emulator" \
		--config-dir config --kubeconfig "$(DEMO_KUBECONFIG)" \
		--apiserver-port $(DEMO_APISERVER_PORT) --etcd-port $(DEMO_ETCD_PORT) --etcd-peer-port $(DEMO_ETCD_PEER_PORT) \
		--emulator-port $(DEMO_EMULATOR_PORT) --manager-probe-port $(DEMO_MANAGER_PROBE_PORT) \
		$(if $(ONESHOT),--oneshot) $(DEMO_ARGS)

# Plain `go build`s: they only relink what changed. A cold build of msgraph-sdk-go takes minutes, hence the progress.
# The manager is built as the Dockerfile builds it, static (CGO_ENABLED=0), so the demo and the benchmark run
# what the image runs (a cgo build maps libc besides); -trimpath is left out, as it would rebuild every package
# apart from what `go test` builds.
.PHONY: demo-binaries
demo-binaries: | $(LOCALBIN) ## Build what the demo runs: bin/manager, bin/entra-emulator and bin/demo.
	@CGO_ENABLED=0 hack/with-progress.sh "go build bin/manager (cold: about 5 minutes)" go build -o "$(LOCALBIN)/manager" ./cmd
	@hack/with-progress.sh "go build bin/entra-emulator" go build -o "$(LOCALBIN)/entra-emulator" ./cmd/entra-emulator
	@hack/with-progress.sh "go build bin/demo" go build -o "$(LOCALBIN)/demo" ./cmd/demo

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build manager binary.
	CGO_ENABLED=0 go build -o bin/manager ./cmd

.PHONY: build-emulator
build-emulator: ## Build the Entra emulator binary.
	go build -o bin/entra-emulator ./cmd/entra-emulator

.PHONY: run
run: manifests generate fmt vet ## Run the controller from your host against the cluster in your kubeconfig.
	go run ./cmd

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment in dist/install.yaml.
	mkdir -p dist
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default > dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	"$(KUSTOMIZE)" build config/crd | $(KUBECTL) apply -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy controller to the K8s cluster specified in ~/.kube/config.
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default | $(KUBECTL) apply -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy controller from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
ENVTEST ?= $(LOCALBIN)/setup-envtest
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint

## Tool Versions
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.2
GOLANGCI_LINT_VERSION ?= v2.15.0
# ENVTEST_VERSION is the setup-envtest module version (sigs.k8s.io/controller-runtime/tools/setup-envtest).
ENVTEST_VERSION ?= v0.25.1
# ENVTEST_K8S_VERSION is the kube-apiserver/etcd release the envtest suites run against.
ENVTEST_K8S_VERSION ?= 1.36.3

# hack/envtest.sh prints the KUBEBUILDER_ASSETS directory: setup-envtest where it can download,
# otherwise kube-apiserver and etcd built from the Go modules in hack/envtest (once per machine).
ENVTEST_ENV = ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) SETUP_ENVTEST="$(ENVTEST)"

.PHONY: envtest
envtest: setup-envtest ## Prepare kube-apiserver and etcd for the envtest suites.
	$(ENVTEST_ENV) hack/envtest.sh

# The tool targets are phony and always run the (cheap) version check in go-install-tool,
# so bumping a *_VERSION above takes effect without deleting bin/.
.PHONY: kustomize
kustomize: | $(LOCALBIN) ## Download kustomize locally if necessary.
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: | $(LOCALBIN) ## Download controller-gen locally if necessary.
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: setup-envtest
setup-envtest: | $(LOCALBIN) ## Download setup-envtest locally if necessary.
	$(call go-install-tool,$(ENVTEST),sigs.k8s.io/controller-runtime/tools/setup-envtest,$(ENVTEST_VERSION))

.PHONY: golangci-lint
golangci-lint: | $(LOCALBIN) ## Download golangci-lint locally if necessary.
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool installs a Go tool at a pinned version as $(1)-$(3) and points the $(1) symlink at it,
# so several versions can sit side by side and switching back is free.
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(1)" "$(1)-$(3)" ;\
} ;\
[ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(notdir $(1))-$(3)" ] || ln -sfn "$(notdir $(1))-$(3)" "$(1)"
endef
