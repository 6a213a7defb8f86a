// Package metrics defines the operator's Prometheus metrics, served by the manager's metrics endpoint.
package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// GraphRequests counts HTTP requests Microsoft Graph answered, retries included, by method and
// status code (0 when no answer came). Writes are the non-GET methods; alert on code="429".
var GraphRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "entra_sso_operator_graph_requests_total",
	Help: "HTTP requests sent to Microsoft Graph, by method and response status code.",
}, []string{"method", "code"})

func init() {
	ctrlmetrics.Registry.MustRegister(GraphRequests, CredentialExpiration, CredentialRenewal)
}

// ObserveGraphRequest records one Graph request; it fits graph.Options.Observe.
func ObserveGraphRequest(method string, status int) {
	GraphRequests.WithLabelValues(method, strconv.Itoa(status)).Inc()
}
