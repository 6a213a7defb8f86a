package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserveGraphRequest(t *testing.T) {
	before := testutil.ToFloat64(GraphRequests.WithLabelValues("PATCH", "429"))
	ObserveGraphRequest("PATCH", 429)
	ObserveGraphRequest("PATCH", 429)
	ObserveGraphRequest("GET", 200)
	if got := testutil.ToFloat64(GraphRequests.WithLabelValues("PATCH", "429")) - before; got != 2 {
		t.Errorf("PATCH 429 counted %v times, want 2", got)
	}
}
