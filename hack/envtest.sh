#!/usr/bin/env bash
# Prints a directory holding kube-apiserver and etcd for envtest (KUBEBUILDER_ASSETS).
#
# Machines with internet use setup-envtest as usual. Where it cannot download (this project's CI and
# development machines reach only the Go module proxy), both binaries are built from Go modules, once,
# in the modules under hack/envtest/. The result lands in setup-envtest's own user-level store
# (~/.local/share/kubebuilder-envtest/k8s/<version>-<os>-<arch>), so every clone on the machine reuses
# it, and bin/k8s/current links to it for tools that look under bin/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${ENVTEST_K8S_VERSION:-1.36.3}
setup_envtest=${SETUP_ENVTEST:-$root/bin/setup-envtest}
goos=$(go env GOOS)
goarch=$(go env GOARCH)
store=${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}
dir=$store/k8s/$version-$goos-$goarch

log() { echo "envtest: $*" >&2; }

have_assets() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ]; }

link_into_bin() {
	mkdir -p "$root/bin/k8s"
	ln -sfn "$1" "$root/bin/k8s/current"
	echo "$1"
}

if have_assets "$dir"; then
	link_into_bin "$dir"
	exit 0
fi

# The normal path: setup-envtest downloads release binaries. Bounded in time because a closed network
# may answer slowly instead of refusing.
if [ -x "$setup_envtest" ] && [ -z "${ENVTEST_FROM_SOURCE:-}" ]; then
	if found=$(timeout 60 "$setup_envtest" use "$version" --bin-dir "$store" -p path 2>/dev/null) && have_assets "$found"; then
		link_into_bin "$found"
		exit 0
	fi
	log "setup-envtest could not fetch $version; building kube-apiserver and etcd from Go modules"
fi

mkdir -p "$store"
exec 9>"$store/.build-$version.lock"
flock 9
if have_assets "$dir"; then # another clone finished the build while we waited for the lock
	link_into_bin "$dir"
	exit 0
fi

tmp=$(mktemp -d "$store/.build-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
log "building etcd (about 1 minute on 2 cores)"
(cd "$root/hack/envtest/etcd" && CGO_ENABLED=0 "$root/hack/with-progress.sh" "envtest: etcd" go build -trimpath -ldflags=-s -o "$tmp/etcd" .)
log "building kube-apiserver $version (about 8 minutes on 2 cores, once per machine)"
(cd "$root/hack/envtest/kube-apiserver" && CGO_ENABLED=0 "$root/hack/with-progress.sh" "envtest: kube-apiserver" go build -trimpath -ldflags=-s -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
log "built in $((SECONDS - start))s into $dir"
link_into_bin "$dir"
