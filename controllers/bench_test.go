package controllers_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// BenchmarkTimeToReady applies N AppRegistrations at once and measures, per run, the time until all
// are Ready, the Graph calls per object and the heap afterwards (of the whole test process, emulator
// included); with credentials, each object also gets a client secret and a generated certificate.
// Run with `make bench`.
func BenchmarkTimeToReady(b *testing.B) {
	cases := []struct {
		n           int
		credentials bool
	}{{10, false}, {50, false}, {200, false}, {10, true}, {50, true}}
	for _, bc := range cases {
		n := bc.n
		name := fmt.Sprintf("objects=%d", n)
		if bc.credentials {
			name += ",credentials=clientSecret+certificate"
		}
		b.Run(name, func(b *testing.B) {
			startManager(b, managerOptions{})
			ctx := context.Background()
			var elapsed time.Duration
			var reads, writes int64
			for range b.N {
				ns := newNamespace(b)
				srv.ResetCounters()
				start := time.Now()
				for i := range n {
					obj := espoCRM(ns, fmt.Sprintf("crm-%d", i))
					if bc.credentials {
						obj.Spec.Credentials = &v1.Credentials{
							ClientSecret: &v1.ClientSecretCredential{},
							Certificate:  &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{KeyType: v1.CertificateKeyECDSA}},
						}
					}
					if err := k8sClient.Create(ctx, obj); err != nil {
						b.Fatal(err)
					}
				}
				for {
					list := &v1.AppRegistrationList{}
					if err := k8sClient.List(ctx, list, client.InNamespace(ns)); err != nil {
						b.Fatal(err)
					}
					ready := 0
					for _, o := range list.Items {
						if meta.IsStatusConditionTrue(o.Status.Conditions, v1.ConditionReady) {
							ready++
						}
					}
					if ready == n {
						break
					}
					if time.Since(start) > 5*time.Minute {
						b.Fatalf("only %d of %d Ready after 5 minutes", ready, n)
					}
					time.Sleep(50 * time.Millisecond)
				}
				elapsed += time.Since(start)
				c := srv.Counters()
				reads, writes = reads+c.Reads, writes+c.Writes
				// Delete and wait, untimed, so the next run counts only its own Graph calls.
				if err := k8sClient.DeleteAllOf(ctx, &v1.AppRegistration{}, client.InNamespace(ns)); err != nil {
					b.Fatal(err)
				}
				for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
					list := &v1.AppRegistrationList{}
					if err := k8sClient.List(ctx, list, client.InNamespace(ns)); err != nil {
						b.Fatal(err)
					}
					if len(list.Items) == 0 {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("%d objects still not deleted", len(list.Items))
					}
				}
			}
			var mem runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&mem)
			perRun := float64(b.N)
			b.ReportMetric(elapsed.Seconds()/perRun, "s-to-ready")
			b.ReportMetric(float64(reads)/perRun/float64(n), "graph-reads/object")
			b.ReportMetric(float64(writes)/perRun/float64(n), "graph-writes/object")
			b.ReportMetric(float64(mem.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}
