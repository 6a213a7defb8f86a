#!/usr/bin/env bash
# Prints the path of a kubectl for `make demo`, building one when the machine has none.
#
# In order of preference:
#   1. kubectl in the envtest store beside kube-apiserver and etcd (~/.local/share/kubebuilder-envtest/
#      k8s/<version>-<os>-<arch>): the control plane's own version. setup-envtest's downloads include it;
#      step 3 puts it there too.
#   2. kubectl on PATH (skipped when KUBECTL_FROM_SOURCE is set).
#   3. k8s.io/kubernetes/cmd/kubectl built from hack/envtest/kube-apiserver, the module kube-apiserver is
#      built from: it shares that build's packages and cache, so it takes about a minute after it, once
#      per machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${ENVTEST_K8S_VERSION:-1.36.3}
goos=$(go env GOOS)
goarch=$(go env GOARCH)
store=${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}
dir=$store/k8s/$version-$goos-$goarch

log() { echo "kubectl: $*" >&2; }

if [ -x "$dir/kubectl" ]; then
	echo "$dir/kubectl"
	exit 0
fi
if [ -z "${KUBECTL_FROM_SOURCE:-}" ] && found=$(command -v kubectl); then
	echo "$found"
	exit 0
fi

mkdir -p "$dir"
# The same lock as hack/envtest.sh: one build into the store at a time per machine.
exec 9>"$store/.build-$version.lock"
flock 9
if [ -x "$dir/kubectl" ]; then # another clone built it while we waited for the lock
	echo "$dir/kubectl"
	exit 0
fi

tmp=$(mktemp "$dir/.kubectl.XXXXXX")
trap 'rm -f "$tmp"' EXIT
start=$SECONDS
log "building kubectl $version from Go modules into $dir (about a minute after kube-apiserver, once per machine)"
# Without the version stamped in, `kubectl version` says v0.0.0-master and warns about skew.
minor=$(echo "$version" | cut -d. -f2)
ldflags="-s"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	ldflags="$ldflags -X $pkg.gitVersion=v$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(cd "$root/hack/envtest/kube-apiserver" && CGO_ENABLED=0 "$root/hack/with-progress.sh" "kubectl: build" \
	go build -trimpath -ldflags="$ldflags" -o "$tmp" k8s.io/kubernetes/cmd/kubectl)
mv "$tmp" "$dir/kubectl"
trap - EXIT
log "built in $((SECONDS - start))s"
echo "$dir/kubectl"
