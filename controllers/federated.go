package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// federatedMark starts the description of every federated identity credential the operator
// writes: the mark that lets it delete the ones the spec no longer declares, and only those.
const federatedMark = "[entra-sso-operator]"

// defaultFederatedAudience is the audience Entra expects of federated assertions.
const defaultFederatedAudience = "api://AzureADTokenExchange"

// ensureFederated makes the application's federated identity credentials the declared list, by
// name: created, updated where issuer, subject, audiences or description differ, and deleted when
// no longer declared, if the operator made them. The list is read only when some are declared or
// status records some managed before, so an object without them costs no extra read.
func (r *AppRegistrationReconciler) ensureFederated(ctx context.Context, s *scope) (time.Time, error) {
	declared := declaredCredentials(s).Federated
	var managed []string
	if cs := s.obj.Status.Credentials; cs != nil {
		managed = cs.Federated
	}
	if len(declared) == 0 && len(managed) == 0 {
		return time.Time{}, nil
	}
	existing, err := s.graph.ListFederatedCredentials(ctx, s.app)
	if err != nil {
		return time.Time{}, err
	}
	want := make([]graph.FederatedCredential, 0, len(declared))
	for _, d := range declared {
		want = append(want, desiredFederated(d))
	}
	if err := checkFederatedConflicts(want, existing); err != nil {
		return time.Time{}, err
	}

	// Deletions first: a renamed entry keeps its issuer and subject, which Entra lets only one
	// credential of the application hold at a time.
	for _, e := range existing {
		if ownedFederated(e) && !slices.ContainsFunc(want, sameName(e.Name)) {
			if err := s.graph.DeleteFederatedCredential(ctx, s.app, e.ID); err != nil && !isGone(err) {
				return time.Time{}, err
			}
			r.federatedEvent(s, "FederatedCredentialDeleted", "Deleted", e.Name)
		}
	}
	for _, w := range want {
		i := slices.IndexFunc(existing, sameName(w.Name))
		switch {
		case i < 0:
			if _, err := s.graph.CreateFederatedCredential(ctx, s.app, w); err != nil {
				return time.Time{}, err
			}
			r.federatedEvent(s, "FederatedCredentialCreated", "Created", w.Name)
		case !sameFederated(w, existing[i]):
			w.ID = existing[i].ID
			if err := s.graph.UpdateFederatedCredential(ctx, s.app, w); err != nil {
				return time.Time{}, err
			}
			r.federatedEvent(s, "FederatedCredentialUpdated", "Updated", w.Name)
		}
	}

	names := make([]string, 0, len(declared))
	for _, d := range declared {
		names = append(names, d.Name)
	}
	if len(names) > 0 {
		credentialsStatus(s).Federated = names
		s.credentialNotes = append(s.credentialNotes, fmt.Sprintf("%d federated credential(s)", len(names)))
	} else if cs := s.obj.Status.Credentials; cs != nil {
		cs.Federated = nil
	}
	return time.Time{}, nil
}

// desiredFederated is the federated identity credential a declaration asks for, marked.
func desiredFederated(d entrav1alpha1.FederatedCredential) graph.FederatedCredential {
	audiences := d.Audiences
	if len(audiences) == 0 {
		audiences = []string{defaultFederatedAudience}
	}
	description := federatedMark
	if d.Description != "" {
		description += " " + d.Description
	}
	return graph.FederatedCredential{Name: d.Name, Issuer: d.Issuer, Subject: d.Subject, Audiences: audiences, Description: description}
}

// ownedFederated reports whether the operator wrote the federated identity credential.
func ownedFederated(fc graph.FederatedCredential) bool {
	return strings.HasPrefix(fc.Description, federatedMark)
}

// checkFederatedConflicts refuses a declaration whose issuer and subject another credential of the
// application, one the operator did not make and will not delete, already holds under another
// name: Entra would refuse it.
func checkFederatedConflicts(want, existing []graph.FederatedCredential) error {
	for _, w := range want {
		for _, e := range existing {
			if !strings.EqualFold(e.Name, w.Name) && !ownedFederated(e) && e.Issuer == w.Issuer && e.Subject == w.Subject {
				return &federatedConflictError{name: w.Name, other: e.Name}
			}
		}
	}
	return nil
}

func sameName(name string) func(graph.FederatedCredential) bool {
	return func(fc graph.FederatedCredential) bool { return strings.EqualFold(fc.Name, name) }
}

func sameFederated(a, b graph.FederatedCredential) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && slices.Equal(a.Audiences, b.Audiences) && a.Description == b.Description
}

func (r *AppRegistrationReconciler) federatedEvent(s *scope, reason, verb, name string) {
	r.event(s.obj, corev1.EventTypeNormal, reason, reason, "%s federated credential %s of application %s", verb, name, s.app.AppID)
	s.changes = append(s.changes, strings.ToLower(verb)+" federated credential "+name)
}
