// Command etcd is the etcd server that envtest starts, built from Go modules because setup-envtest
// cannot download release binaries on machines without internet access.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
