package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/desired"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
	"github.com/entra-sso-operator/entra-sso-operator/internal/policy"
)

// ConsentMode says what the operator does about admin consent for declared permissions.
type ConsentMode string

const (
	// ConsentOff means the operator neither reads nor grants consent; status carries the admin
	// consent URL for a person. Needs no Graph permission beyond Application.ReadWrite.OwnedBy.
	ConsentOff ConsentMode = "off"
	// ConsentVerify means the operator reads consent and reports what is granted, but never grants.
	// Needs Directory.Read.All to read delegated grants.
	ConsentVerify ConsentMode = "verify"
	// ConsentGrant means the operator grants and revokes consent as spec.adminConsent asks, within what
	// its administrator allowed. Needs DelegatedPermissionGrant.ReadWrite.All and
	// AppRoleAssignment.ReadWrite.All, the latter as powerful as a tenant administrator.
	ConsentGrant ConsentMode = "grant"
)

// ConsentModes lists the modes, least privileged first.
var ConsentModes = []ConsentMode{ConsentOff, ConsentVerify, ConsentGrant}

// ParseConsentMode reads a mode as the --consent-mode flag spells it.
func ParseConsentMode(s string) (ConsentMode, error) {
	for _, m := range ConsentModes {
		if strings.EqualFold(string(m), s) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown consent mode %q: want off, verify or grant", s)
}

// maxListed bounds how many permissions a condition message names; the rest are counted.
const maxListed = 10

// ensureConsent makes tenant-wide consent on the application's own service principal match the
// declared permissions when the operator may (grant mode, spec.adminConsent, every permission to add
// allowed), and otherwise reports what is granted and where an administrator grants the rest.
// Grants and assignments are read only when consent is read at all, and each kind only when some
// permission of that kind is declared or was.
func (r *AppRegistrationReconciler) ensureConsent(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.obj.Status
	mode := r.consentMode()
	url := r.consentURL(s)
	if mode == ConsentOff {
		st.Consent = nil
		if url != "" {
			st.Consent = &entrav1alpha1.ConsentStatus{AdminConsentURL: url}
		}
		return ctrl.Result{}, nil
	}
	var recorded []entrav1alpha1.ResourcePermissions
	if st.Consent != nil {
		recorded = st.Consent.Granted
	}
	manage := mode == ConsentGrant && s.obj.Spec.AdminConsent
	state, err := r.readConsent(ctx, s, recorded, manage)
	if err != nil {
		return ctrl.Result{}, r.withVerifyPermission(err)
	}
	if len(state.Declared) == 0 && state.Owned.Empty() {
		st.Consent = nil
		return ctrl.Result{}, nil
	}
	plan := desired.PlanConsent(state)
	st.Consent = &entrav1alpha1.ConsentStatus{Granted: plan.Present}
	if !manage || plan.Empty() {
		if !state.Complete(plan) {
			st.Consent.AdminConsentURL = url
		}
		s.consentMissing = missingConsent(state, plan)
		return ctrl.Result{}, nil
	}
	if refused := r.consentRefused(s, plan.Adds); len(refused) > 0 {
		st.Consent.AdminConsentURL = url
		return ctrl.Result{}, &consentNotAllowedError{refused: refused}
	}
	if err := r.applyConsent(ctx, s, plan); err != nil {
		return ctrl.Result{}, err
	}
	st.Consent.Granted = declaredPermissions(state.Declared)
	if len(st.Consent.Granted) == 0 {
		st.Consent = nil // only revoked: nothing left to report
	}
	return ctrl.Result{}, nil
}

// readConsent gathers what consent is planned from. In grant mode with spec.adminConsent the
// operator manages consent for permissions declared now or before (desired.OwnedConsent); otherwise
// it only reports on the declared ones.
func (r *AppRegistrationReconciler) readConsent(ctx context.Context, s *scope, recorded []entrav1alpha1.ResourcePermissions, manage bool) (desired.ConsentState, error) {
	state := desired.ConsentState{
		ClientID: s.servicePrincipal.ObjectID, Declared: s.resolved, Owned: desired.Owned{},
		Catalogs: map[string]graph.Resource{},
	}
	for _, res := range s.resolved {
		state.Catalogs[strings.ToLower(res.Resource.AppID)] = res.Resource
	}
	if manage {
		// Catalogs of resources no longer declared translate what the application declared before.
		for _, appID := range formerResources(s.app.RequiredResourceAccess, recorded, state.Catalogs) {
			res, err := r.resource(ctx, s.graph, appID, false)
			if errors.Is(err, graph.ErrNotFound) {
				continue // gone from the tenant, and its consent with it
			}
			if err != nil {
				return state, err
			}
			state.Catalogs[appID] = res
		}
		state.Owned = desired.OwnedConsent(s.app.RequiredResourceAccess, recorded, state.Catalogs)
	}
	needGrants, needAssignments := false, false
	for _, res := range state.Declared {
		needGrants = needGrants || len(res.Delegated) > 0
		needAssignments = needAssignments || len(res.Application) > 0
	}
	for _, o := range state.Owned {
		needGrants = needGrants || len(o.Scopes) > 0
		needAssignments = needAssignments || len(o.RoleIDs) > 0
	}
	var err error
	if needGrants {
		if state.Grants, err = s.graph.ListDelegatedGrants(ctx, state.ClientID); err != nil {
			return state, err
		}
	}
	if needAssignments {
		if state.Assignments, err = s.graph.ListAppRoleAssignments(ctx, state.ClientID); err != nil {
			return state, err
		}
	}
	return state, nil
}

// formerResources lists the app IDs of resources the application declared before (in Entra or in
// status) that have no catalog yet.
func formerResources(observed []graph.ResourceAccess, recorded []entrav1alpha1.ResourcePermissions, known map[string]graph.Resource) []string {
	var out []string
	add := func(appID string) {
		appID = strings.ToLower(appID)
		if _, ok := known[appID]; !ok && !containsString(out, appID) {
			out = append(out, appID)
		}
	}
	for _, o := range observed {
		if len(o.ScopeIDs)+len(o.RoleIDs) > 0 {
			add(o.ResourceAppID)
		}
	}
	for _, rec := range recorded {
		add(permissions.AppIDOf(rec.Resource))
	}
	return out
}

// applyConsent carries out a plan: revocations first, so the application never holds more than the
// old and the new declaration together.
func (r *AppRegistrationReconciler) applyConsent(ctx context.Context, s *scope, plan desired.ConsentPlan) error {
	key := s.appKey()
	revoked := 0
	for _, g := range plan.DeleteGrants {
		if err := s.graph.DeleteDelegatedGrant(ctx, key, g.ID); err != nil {
			return err
		}
		revoked += len(g.Scopes)
	}
	for _, a := range plan.Revoke {
		if err := s.graph.RemoveAppRoleAssignment(ctx, key, a); err != nil {
			return err
		}
		revoked++
	}
	for _, g := range plan.UpdateGrants {
		if err := s.graph.UpdateDelegatedGrant(ctx, key, g.ID, g.Scopes); err != nil {
			return err
		}
	}
	for _, g := range plan.CreateGrants {
		if _, err := s.graph.CreateDelegatedGrant(ctx, key, g); err != nil {
			return err
		}
	}
	for _, a := range plan.Assign {
		if _, err := s.graph.AssignAppRole(ctx, key, a); err != nil {
			return err
		}
	}
	changes := refList(plan.Adds)
	switch {
	case len(plan.Adds) > 0:
		r.event(s.obj, corev1.EventTypeNormal, "ConsentGranted", "GrantConsent", "Granted admin consent for %s", changes)
		s.changes = append(s.changes, "granted "+changes)
	case revoked > 0 || len(plan.UpdateGrants) > 0:
		r.event(s.obj, corev1.EventTypeNormal, "ConsentRevoked", "RevokeConsent",
			"Revoked admin consent for permissions no longer declared on application %s", s.app.AppID)
		s.changes = append(s.changes, "revoked consent no longer declared")
	}
	return nil
}

// withVerifyPermission names the permission verify mode needs when Graph refuses to show grants:
// the operation names the one grant mode needs, which verify mode must not be told to take.
func (r *AppRegistrationReconciler) withVerifyPermission(err error) error {
	var ge *graph.Error
	if r.consentMode() != ConsentVerify || !errors.As(err, &ge) || ge.Kind != graph.KindForbidden ||
		ge.Permission != graph.PermissionDelegatedGrantReadWriteAll {
		return err
	}
	verify := *ge
	verify.Permission = graph.PermissionDirectoryReadAll
	return &verify
}

func (r *AppRegistrationReconciler) consentMode() ConsentMode {
	if r.ConsentMode == "" {
		return ConsentOff
	}
	return r.ConsentMode
}

// consentURL is where an administrator grants the declared permissions by hand.
func (r *AppRegistrationReconciler) consentURL(s *scope) string {
	return permissions.ConsentURL{
		AuthorityHost: s.cloud.AuthorityHost,
		TenantID:      s.graph.TenantID(),
		ClientID:      s.app.AppID,
		RedirectURI:   permissions.ConsentRedirectURI(s.obj.Spec),
		GraphResource: s.cloud.GraphResource,
	}.For(s.resolved)
}

// consentPending says why declared permissions lack consent when that is for a person to fix.
func (r *AppRegistrationReconciler) consentPending(s *scope) (reason, message string) {
	c := s.obj.Status.Consent
	if c == nil || c.AdminConsentURL == "" {
		return "", ""
	}
	why := ""
	switch r.consentMode() {
	case ConsentOff:
		why = "the operator neither reads nor grants consent (--consent-mode=off), so it cannot tell whether it was granted"
	case ConsentVerify:
		why = "the operator only verifies consent (--consent-mode=verify)"
	default:
		why = "spec.adminConsent is false, so the operator does not grant it"
	}
	what := "the declared permissions"
	if len(s.consentMissing) > 0 {
		what = refList(s.consentMissing)
	}
	return entrav1alpha1.ReasonConsentPending, fmt.Sprintf("Admin consent is pending for %s: %s. "+
		"A tenant administrator grants it by opening status.consent.adminConsentUrl", what, why)
}

func consentGrantedMessage(s *scope) string {
	n := 0
	if c := s.obj.Status.Consent; c != nil {
		for _, g := range c.Granted {
			n += len(g.Delegated) + len(g.Application)
		}
	}
	if n == 0 {
		return "No API permissions are declared"
	}
	return fmt.Sprintf("Admin consent holds for all %d declared permission(s)", n)
}

// missingConsent lists the declared permissions that lack consent.
func missingConsent(state desired.ConsentState, plan desired.ConsentPlan) []permissions.Ref {
	var out []permissions.Ref
	for _, res := range state.Declared {
		var present entrav1alpha1.ResourcePermissions
		for _, p := range plan.Present {
			if string(p.Resource) == res.Name {
				present = p
			}
		}
		appID := strings.ToLower(res.Resource.AppID)
		for _, k := range []struct {
			kind permissions.Kind
			have []entrav1alpha1.PermissionName
		}{{permissions.Delegated, present.Delegated}, {permissions.Application, present.Application}} {
			for _, name := range res.Names(k.kind) {
				if !containsName(k.have, name) {
					out = append(out, permissions.Ref{AppID: appID, Kind: k.kind, Name: name})
				}
			}
		}
	}
	return out
}

// declaredPermissions renders the declared permissions for status, in spec order and the
// resources' spelling.
func declaredPermissions(resolved []permissions.Resolved) []entrav1alpha1.ResourcePermissions {
	out := make([]entrav1alpha1.ResourcePermissions, 0, len(resolved))
	for _, res := range resolved {
		p := entrav1alpha1.ResourcePermissions{Resource: entrav1alpha1.PermissionResource(res.Name)}
		for _, n := range res.Names(permissions.Delegated) {
			p.Delegated = append(p.Delegated, entrav1alpha1.PermissionName(n))
		}
		for _, n := range res.Names(permissions.Application) {
			p.Application = append(p.Application, entrav1alpha1.PermissionName(n))
		}
		out = append(out, p)
	}
	return out
}

// consentNotAllowedError names the permissions the operator would have to grant but may not.
type consentNotAllowedError struct{ refused []permissions.Ref }

func (e *consentNotAllowedError) Error() string {
	rules := make([]string, 0, min(len(e.refused), maxListed))
	for _, ref := range e.refused[:min(len(e.refused), maxListed)] {
		rules = append(rules, permissions.Rule(ref).String())
	}
	return fmt.Sprintf("The operator may not grant %s: its administrator did not allow it (--consent-allow), "+
		"so nothing was granted. A tenant administrator can grant consent at status.consent.adminConsentUrl, "+
		"or allow the operator to with --consent-allow=%s", refList(e.refused), strings.Join(rules, ","))
}

// refList names permissions for a message: at most maxListed, then a count.
func refList(refs []permissions.Ref) string {
	names := make([]string, 0, min(len(refs), maxListed))
	for _, ref := range refs[:min(len(refs), maxListed)] {
		names = append(names, ref.String())
	}
	out := strings.Join(names, ", ")
	if len(refs) > maxListed {
		out += fmt.Sprintf(" and %d more", len(refs)-maxListed)
	}
	return out
}

func containsName(list []entrav1alpha1.PermissionName, name string) bool {
	for _, n := range list {
		if strings.EqualFold(string(n), name) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// consentRefused returns the permissions of adds the operator may not grant: those --consent-allow
// does not allow, and, when the object's connection narrows it (consentablePermissions), those the
// connection does not allow either. A connection's list that cannot be read allows nothing.
func (r *AppRegistrationReconciler) consentRefused(s *scope, adds []permissions.Ref) []permissions.Ref {
	refused := r.ConsentPolicy.Refused(adds)
	if s.conn == nil {
		return refused
	}
	narrowed, narrows, err := policy.Consentable(s.conn.Policy)
	if !narrows {
		return refused
	}
	if err != nil {
		return adds
	}
	for _, ref := range narrowed.Refused(adds) {
		if !slices.Contains(refused, ref) {
			refused = append(refused, ref)
		}
	}
	return refused
}
