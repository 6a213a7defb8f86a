package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
)

// connectionRecheck is how often a connection's sign-in is tried again, so an expired or revoked
// credential shows in its status before AppRegistrations trip over it.
const connectionRecheck = 10 * time.Minute

// microsoftGraphAppID is the application ID of Microsoft Graph, whose service principal every tenant
// has: reading it proves a connection can sign in and read the directory.
const microsoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// EntraConnectionReconciler reports whether each EntraConnection works: its credentials can be read
// and the operator can sign in to its tenant with them.
type EntraConnectionReconciler struct {
	client.Client
	// Tenants builds the connections' Graph clients.
	Tenants *tenants.Registry
}

// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=entraconnections,verbs=get;list;watch
// +kubebuilder:rbac:groups=entra.sso-operator.io,resources=entraconnections/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile signs in with the connection and records the outcome in its Ready condition.
func (r *EntraConnectionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ec := &entrav1alpha1.EntraConnection{}
	if err := r.Get(ctx, req.NamespacedName, ec); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.Tenants.Forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := ec.Status.DeepCopy()
	status, reason, message := metav1.ConditionTrue, "SignedIn", "The operator signed in to tenant "+ec.Spec.TenantID
	conn, err := r.Tenants.Build(ctx, ec)
	if err == nil {
		_, err = conn.Graph.GetServicePrincipal(ctx, microsoftGraphAppID)
	}
	if err != nil {
		status, reason, message = metav1.ConditionFalse, tenants.ReasonConnectionUnavailable, err.Error()
		if te, ok := tenants.IsError(err); ok {
			reason, message = te.Reason, te.Message
		}
		var ge *graph.Error
		if errors.As(err, &ge) {
			reason, message = connectionReason(ge.Kind), ge.Summary()
		}
	}
	meta.SetStatusCondition(&ec.Status.Conditions, metav1.Condition{
		Type: entrav1alpha1.ConditionReady, Status: status, Reason: reason, Message: message, ObservedGeneration: ec.Generation,
	})
	ec.Status.ObservedGeneration = ec.Generation
	if !equality.Semantic.DeepEqual(*before, ec.Status) {
		if err := r.Status().Update(ctx, ec); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("writing the status of EntraConnection %s: %w", ec.Name, err))
		}
	}
	return ctrl.Result{RequeueAfter: connectionRecheck}, nil
}

// connectionReason names a failed sign-in check after what went wrong.
func connectionReason(kind graph.Kind) string {
	switch kind {
	case graph.KindAuthentication:
		return entrav1alpha1.ReasonAuthenticationFailed
	case graph.KindForbidden:
		return entrav1alpha1.ReasonPermissionDenied
	case graph.KindThrottled:
		return entrav1alpha1.ReasonThrottled
	}
	return entrav1alpha1.ReasonGraphUnavailable
}

// SetupWithManager registers the reconciler.
func (r *EntraConnectionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&entrav1alpha1.EntraConnection{}).
		Named("entraconnection").
		Complete(r)
}
