package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func routeServicePrincipals(method string, key *entityKey, rest []string) (graphRoute, *graphError) {
	if key == nil {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "servicePrincipal.list", handle: (*graphCall).listServicePrincipals}, nil
		case http.MethodPost:
			return graphRoute{op: "servicePrincipal.create", write: true, handle: (*graphCall).createServicePrincipal}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	k := *key
	if len(rest) == 0 {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "servicePrincipal.get", handle: func(g *graphCall) *graphError { return g.getServicePrincipal(k) }}, nil
		case http.MethodPatch:
			return graphRoute{op: "servicePrincipal.patch", write: true, handle: func(g *graphCall) *graphError { return g.patchServicePrincipal(k) }}, nil
		case http.MethodDelete:
			return graphRoute{op: "servicePrincipal.delete", write: true, handle: func(g *graphCall) *graphError { return g.deleteServicePrincipal(k) }}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	sub, subKey := parseSegment(rest[0])
	if subKey == nil && len(rest) > 1 {
		subKey = &entityKey{collection: sub, by: "id", value: rest[1]}
		rest = append([]string{rest[0]}, rest[2:]...)
	}
	if len(rest) > 1 {
		return graphRoute{}, errSegment(rest[1])
	}
	switch sub {
	case navAppRoleAssignedTo, navAppRoleAssignments:
		return routeAssignments(method, k, sub, subKey)
	}
	return graphRoute{}, errSegment(rest[0])
}

// canWriteServicePrincipal mirrors canWriteApplication for service
// principals: ReadWrite.All, or OwnedBy on one the caller owns.
func (g *graphCall) canWriteServicePrincipal(sp *ServicePrincipal) *graphError {
	if g.who.has(RoleApplicationReadWriteAll) {
		return nil
	}
	if g.who.has(RoleApplicationReadWriteOwnedBy) && (sp == nil || slices.Contains(sp.Owners, g.who.oid)) {
		return nil
	}
	return errForbidden()
}

func (g *graphCall) listServicePrincipals() *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	items := make([]listed, 0, len(t.sps))
	for _, sp := range t.sps {
		if t.visible(sp.meta) {
			items = append(items, listed{seq: sp.meta.seq, obj: toJSONMap(sp)})
		}
	}
	t.mu.Unlock()
	return g.respondList("servicePrincipals", servicePrincipalSpec, emptyServicePrincipal(), items)
}

func emptyServicePrincipal() *ServicePrincipal {
	sp := &ServicePrincipal{}
	normalizeServicePrincipal(sp)
	return sp
}

func (g *graphCall) getServicePrincipal(k entityKey) *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	sel, gerr := parseSingleQuery(g.r.URL.Query(), servicePrincipalSpec, toJSONMap(emptyServicePrincipal()))
	if gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	sp := t.findSPLocked(k)
	if sp == nil || !t.visible(sp.meta) {
		t.mu.Unlock()
		return errNotFound(k.value)
	}
	c := cloneJSON(sp)
	t.mu.Unlock()
	g.respond(http.StatusOK, "servicePrincipals", &c, sel)
	return nil
}

// servicePrincipalCreate is what POST /servicePrincipals accepts.
type servicePrincipalCreate struct {
	AppID                     string   `json:"appId"`
	AccountEnabled            *bool    `json:"accountEnabled"`
	AppRoleAssignmentRequired *bool    `json:"appRoleAssignmentRequired"`
	Tags                      []string `json:"tags"`
	Notes                     *string  `json:"notes"`
}

func (g *graphCall) createServicePrincipal() *graphError {
	if err := g.canWriteServicePrincipal(nil); err != nil {
		return err
	}
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var in servicePrincipalCreate
	if gerr := decodeInto(body, &in, resourceServicePrincipal); gerr != nil {
		return gerr
	}
	if in.AppID == "" {
		return errInvalidValue(propAppID, resourceServicePrincipal, "The appId is required.")
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if existing := t.spByAppIDLocked(in.AppID); existing != nil {
		return &graphError{status: http.StatusConflict, code: codeMultipleObjectsWithSameKeyValue,
			message: fmt.Sprintf("The service principal cannot be created, updated, or restored because the service principal name %s is already in use.", in.AppID)}
	}
	// Entra replicates a new application to the replica serving service
	// principal creation a little later; until then, and for appIds that do
	// not exist at all, the answer is NoBackingApplicationObject.
	a := t.appByAppIDLocked(in.AppID)
	if a == nil || !t.visible(a.meta) {
		msg := fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", in.AppID)
		return &graphError{status: http.StatusBadRequest, code: codeRequestBadRequest, message: msg,
			details: []errorDetail{{Code: "NoBackingApplicationObject", Message: msg, Target: propAppID}}}
	}
	sp := newServicePrincipalFor(a, t.id)
	if in.AccountEnabled != nil {
		sp.AccountEnabled = *in.AccountEnabled
	}
	if in.AppRoleAssignmentRequired != nil {
		sp.AppRoleAssignmentRequired = *in.AppRoleAssignmentRequired
	}
	if in.Tags != nil {
		sp.Tags = in.Tags
	}
	sp.Notes = in.Notes
	if !g.who.user && g.who.oid != "" {
		sp.Owners = []string{g.who.oid}
	}
	sp.meta = t.nextMeta(g.now)
	t.sps[sp.ID] = sp
	c := cloneJSON(sp)
	g.respond(http.StatusCreated, "servicePrincipals", &c, nil)
	return nil
}

// servicePrincipalPatch lists the properties PATCH may change.
type servicePrincipalPatch struct {
	AccountEnabled            *bool     `json:"accountEnabled"`
	AppRoleAssignmentRequired *bool     `json:"appRoleAssignmentRequired"`
	Tags                      *[]string `json:"tags"`
	Notes                     *string   `json:"notes"`
}

func (g *graphCall) patchServicePrincipal(k entityKey) *graphError {
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var in servicePrincipalPatch
	if gerr := decodeInto(body, &in, resourceServicePrincipal); gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, gerr := g.writableSPLocked(k)
	if gerr != nil {
		return gerr
	}
	if in.AccountEnabled != nil {
		sp.AccountEnabled = *in.AccountEnabled
	}
	if in.AppRoleAssignmentRequired != nil {
		sp.AppRoleAssignmentRequired = *in.AppRoleAssignmentRequired
	}
	if in.Tags != nil {
		sp.Tags = append([]string{}, *in.Tags...)
	}
	if _, ok := body["notes"]; ok {
		sp.Notes = in.Notes
	}
	g.noContent()
	return nil
}

// writableSPLocked finds the service principal a write addresses. Authorization is checked before
// existence, as Graph does, so a caller without the role learns nothing about what exists.
func (g *graphCall) writableSPLocked(k entityKey) (*ServicePrincipal, *graphError) {
	sp := g.t.findSPLocked(k)
	if err := g.canWriteServicePrincipal(sp); err != nil {
		return nil, err
	}
	if sp == nil {
		return nil, errNotFound(k.value)
	}
	return sp, nil
}

func (g *graphCall) deleteServicePrincipal(k entityKey) *graphError {
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	sp, gerr := g.writableSPLocked(k)
	if gerr != nil {
		return gerr
	}
	if sp.AppOwnerOrganizationID == microsoftTenantID {
		return errBadRequest("Service principals of Microsoft first-party applications cannot be deleted in this emulator.")
	}
	t.deleteServicePrincipalLocked(sp.ID)
	g.noContent()
	return nil
}

// spNames reports whether an identifier names sp (SPN match, tolerant of a
// trailing slash and case).
func spNames(sp *ServicePrincipal, identifier string) bool {
	want := strings.TrimSuffix(strings.ToLower(identifier), "/")
	for _, n := range sp.ServicePrincipalNames {
		if strings.TrimSuffix(strings.ToLower(n), "/") == want {
			return true
		}
	}
	return false
}
