package controllers

import (
	"context"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/entra-sso-operator/entra-sso-operator/internal/policy"
	"github.com/entra-sso-operator/entra-sso-operator/internal/tenants"
)

// maxViolationsShown bounds how many policy violations a message lists.
const maxViolationsShown = 5

// policyViolationError says the spec asks for what the connection's policy refuses.
type policyViolationError struct {
	connection string
	violations []policy.Violation
}

func (e *policyViolationError) Error() string {
	shown := e.violations
	if len(shown) > maxViolationsShown {
		shown = shown[:maxViolationsShown]
	}
	texts := make([]string, len(shown))
	for i, v := range shown {
		texts[i] = v.String()
	}
	more := ""
	if n := len(e.violations) - len(shown); n > 0 {
		more = fmt.Sprintf("; and %d more", n)
	}
	return fmt.Sprintf("%s refuses: %s%s. Nothing was written to Entra ID", e.connection, strings.Join(texts, "; "), more)
}

// connectionError carries a tenants.Error as the phase's failure.
type connectionError struct{ cause *tenants.Error }

func (e *connectionError) Error() string { return e.cause.Message }

// resolveConnection decides, before anything reaches Entra ID, which tenant the object's
// application lives in and whether the object may be there: the connection it names (or the
// default) must exist and admit its namespace, and the spec must keep the connection's policy.
// Without connections (a reconciler given a single Graph client) the scope keeps that client.
func (r *AppRegistrationReconciler) resolveConnection(ctx context.Context, s *scope) (ctrl.Result, error) {
	if r.Tenants == nil {
		return ctrl.Result{}, nil
	}
	conn, err := r.Tenants.Resolve(ctx, s.obj)
	if err != nil {
		if te, ok := tenants.IsError(err); ok {
			return ctrl.Result{}, &connectionError{te}
		}
		return ctrl.Result{}, err
	}
	s.conn, s.graph, s.cloud = conn, conn.Graph, conn.Cloud
	if violations := policy.Check(s.obj.Spec, conn.Policy); len(violations) > 0 {
		return ctrl.Result{}, &policyViolationError{connection: connectionName(conn), violations: violations}
	}
	return ctrl.Result{}, nil
}

// connectionReadyMessage describes the connection the object uses.
func connectionReadyMessage(s *scope) string {
	if s.conn == nil {
		return "Uses the operator's tenant " + s.graph.TenantID()
	}
	return fmt.Sprintf("Uses %s, tenant %s", connectionName(s.conn), s.conn.TenantID)
}

func connectionName(c *tenants.Connection) string {
	if c.Name == "" {
		return "the operator's own connection"
	}
	return "EntraConnection " + c.Name
}
