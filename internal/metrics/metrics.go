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

// Why an event was dropped, the reason label of EventsDropped.
const (
	// EventDropQueueFull: the recorder's queue was full, the API server slower than the events.
	EventDropQueueFull = "queueFull"
	// EventDropFailed: the API server rejected the event, or did not answer within its time.
	EventDropFailed = "failed"
	// EventDropShutdown: the manager stopped before the event was sent.
	EventDropShutdown = "shutdown"
)

// EventsDropped counts Kubernetes events the operator recorded but never wrote, by why. Events
// are best effort: dropping them keeps a burst of changes from holding memory or a reconcile.
var EventsDropped = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "entra_sso_operator_events_dropped_total",
	Help: "Kubernetes events the operator did not write, by reason (queueFull, failed, shutdown).",
}, []string{"reason"})

func init() {
	ctrlmetrics.Registry.MustRegister(GraphRequests, CredentialExpiration, CredentialRenewal, EventsDropped)
}

// ObserveGraphRequest records one Graph request; it fits graph.Options.Observe.
func ObserveGraphRequest(method string, status int) {
	GraphRequests.WithLabelValues(method, strconv.Itoa(status)).Inc()
}
