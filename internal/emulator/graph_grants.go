package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// --- app role assignments (application permission consent) ---

// The navigation properties of a service principal holding app role
// assignments.
const (
	// navAppRoleAssignedTo holds the assignments of the SP's app roles.
	navAppRoleAssignedTo = "appRoleAssignedTo"
	// navAppRoleAssignments holds the assignments made to the SP.
	navAppRoleAssignments = "appRoleAssignments"
)

// routeAssignments serves /servicePrincipals/{id}/appRoleAssignedTo (the
// assignments of the SP's roles, i.e. SP as resource) and
// /servicePrincipals/{id}/appRoleAssignments (SP as principal).
func routeAssignments(method string, sp entityKey, nav string, key *entityKey) (graphRoute, *graphError) {
	asResource := nav == navAppRoleAssignedTo
	if key == nil {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "servicePrincipal." + nav + ".list", handle: func(g *graphCall) *graphError { return g.listAssignments(sp, asResource) }}, nil
		case http.MethodPost:
			return graphRoute{op: "servicePrincipal." + nav + ".create", write: true, handle: func(g *graphCall) *graphError { return g.createAssignment(sp, asResource) }}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	id := key.value
	switch method {
	case http.MethodGet:
		return graphRoute{op: "servicePrincipal." + nav + ".get", handle: func(g *graphCall) *graphError { return g.getAssignment(sp, asResource, id) }}, nil
	case http.MethodDelete:
		return graphRoute{op: "servicePrincipal." + nav + ".delete", write: true, handle: func(g *graphCall) *graphError { return g.deleteAssignment(sp, asResource, id) }}, nil
	}
	return graphRoute{}, errMethod(method)
}

func (g *graphCall) canReadAssignments() *graphError {
	if g.who.has(RoleAppRoleAssignmentReadWriteAll, RoleApplicationReadAll, RoleApplicationReadWriteAll, RoleApplicationReadWriteOwnedBy, RoleDirectoryReadAll) {
		return nil
	}
	return errForbidden()
}

func (g *graphCall) canWriteAssignments() *graphError {
	if g.who.has(RoleAppRoleAssignmentReadWriteAll) {
		return nil
	}
	return errForbidden()
}

// assignmentOf reports whether a belongs to sp in the given direction.
func assignmentOf(a *AppRoleAssignment, spID string, asResource bool) bool {
	if asResource {
		return a.ResourceID == spID
	}
	return a.PrincipalID == spID
}

func assignmentsContext(spID string, asResource bool) string {
	nav := navAppRoleAssignments
	if asResource {
		nav = navAppRoleAssignedTo
	}
	return fmt.Sprintf("servicePrincipals('%s')/%s", spID, nav)
}

func (g *graphCall) listAssignments(spKey entityKey, asResource bool) *graphError {
	if err := g.canReadAssignments(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	sp := t.findSPLocked(spKey)
	if sp == nil || !t.visible(sp.meta) {
		t.mu.Unlock()
		return errNotFound(spKey.value)
	}
	var items []listed
	for _, a := range t.assignments {
		if assignmentOf(a, sp.ID, asResource) && t.visible(a.meta) {
			items = append(items, listed{seq: a.meta.seq, obj: toJSONMap(a)})
		}
	}
	t.mu.Unlock()
	return g.respondList(assignmentsContext(sp.ID, asResource), assignmentSpec, &AppRoleAssignment{}, items)
}

func (g *graphCall) getAssignment(spKey entityKey, asResource bool, id string) *graphError {
	if err := g.canReadAssignments(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.findSPLocked(spKey)
	if sp == nil || !t.visible(sp.meta) {
		return errNotFound(spKey.value)
	}
	a := t.assignments[id]
	if a == nil || !assignmentOf(a, sp.ID, asResource) || !t.visible(a.meta) {
		return errNotFound(id)
	}
	c := cloneJSON(a)
	g.respond(http.StatusOK, assignmentsContext(sp.ID, asResource), &c, nil)
	return nil
}

type assignmentCreate struct {
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
	AppRoleID   string `json:"appRoleId"`
}

func (g *graphCall) createAssignment(spKey entityKey, asResource bool) *graphError {
	if err := g.canWriteAssignments(); err != nil {
		return err
	}
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var in assignmentCreate
	if gerr := decodeInto(body, &in, resourceAppRoleAssignment); gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.findSPLocked(spKey)
	if sp == nil {
		return errNotFound(spKey.value)
	}
	in.PrincipalID, in.ResourceID, in.AppRoleID = strings.ToLower(in.PrincipalID), strings.ToLower(in.ResourceID), strings.ToLower(in.AppRoleID)
	if asResource && in.ResourceID != sp.ID {
		return errInvalidValue("resourceId", resourceAppRoleAssignment, "The resourceId must be the service principal in the URL.")
	}
	if !asResource && in.PrincipalID != sp.ID {
		return errInvalidValue("principalId", resourceAppRoleAssignment, "The principalId must be the service principal in the URL.")
	}
	resource := t.sps[in.ResourceID]
	if resource == nil {
		return errNotFound(in.ResourceID)
	}
	principalName, principalType := "", ""
	if p := t.sps[in.PrincipalID]; p != nil {
		principalName, principalType = p.DisplayName, principalTypeServicePrincipal
	} else if u := t.userByIDLocked(in.PrincipalID); u != nil {
		principalName, principalType = u.DisplayName, principalTypeUser
	} else {
		return errNotFound(in.PrincipalID)
	}
	role := -1
	for i, r := range resource.AppRoles {
		if strings.EqualFold(r.ID, in.AppRoleID) && r.IsEnabled {
			role = i
		}
	}
	if role < 0 {
		return errBadRequest("Permission being assigned was not found on application '%s'.", resource.AppID)
	}
	for _, a := range t.assignments {
		if a.PrincipalID == in.PrincipalID && a.ResourceID == in.ResourceID && a.AppRoleID == in.AppRoleID {
			return errBadRequest("Permission being assigned already exists on the object.")
		}
	}
	a := &AppRoleAssignment{
		ID: uuid.NewString(), AppRoleID: in.AppRoleID, CreatedDateTime: g.now.UTC(),
		PrincipalDisplayName: principalName, PrincipalID: in.PrincipalID, PrincipalType: principalType,
		ResourceDisplayName: resource.DisplayName, ResourceID: resource.ID, meta: t.nextMeta(g.now),
	}
	t.assignments[a.ID] = a
	c := cloneJSON(a)
	g.respond(http.StatusCreated, assignmentsContext(sp.ID, asResource), &c, nil)
	return nil
}

func (g *graphCall) deleteAssignment(spKey entityKey, asResource bool, id string) *graphError {
	if err := g.canWriteAssignments(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.findSPLocked(spKey)
	if sp == nil {
		return errNotFound(spKey.value)
	}
	a := t.assignments[id]
	if a == nil || !assignmentOf(a, sp.ID, asResource) {
		return errNotFound(id)
	}
	delete(t.assignments, id)
	g.noContent()
	return nil
}

// --- oauth2PermissionGrants (delegated permission consent) ---

func routeGrants(method string, key *entityKey, rest []string) (graphRoute, *graphError) {
	if len(rest) > 0 {
		return graphRoute{}, errSegment(rest[0])
	}
	if key == nil {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "oauth2PermissionGrant.list", handle: (*graphCall).listGrants}, nil
		case http.MethodPost:
			return graphRoute{op: "oauth2PermissionGrant.create", write: true, handle: (*graphCall).createGrant}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	id := key.value
	switch method {
	case http.MethodGet:
		return graphRoute{op: "oauth2PermissionGrant.get", handle: func(g *graphCall) *graphError { return g.getGrant(id) }}, nil
	case http.MethodPatch:
		return graphRoute{op: "oauth2PermissionGrant.patch", write: true, handle: func(g *graphCall) *graphError { return g.patchGrant(id) }}, nil
	case http.MethodDelete:
		return graphRoute{op: "oauth2PermissionGrant.delete", write: true, handle: func(g *graphCall) *graphError { return g.deleteGrant(id) }}, nil
	}
	return graphRoute{}, errMethod(method)
}

func (g *graphCall) canReadGrants() *graphError {
	if g.who.has(RoleDelegatedPermissionGrantRWAll, RoleDirectoryReadAll, RoleApplicationReadAll, RoleApplicationReadWriteAll) {
		return nil
	}
	return errForbidden()
}

func (g *graphCall) canWriteGrants() *graphError {
	if g.who.has(RoleDelegatedPermissionGrantRWAll) {
		return nil
	}
	return errForbidden()
}

func (g *graphCall) listGrants() *graphError {
	if err := g.canReadGrants(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	items := make([]listed, 0, len(t.grants))
	for _, gr := range t.grants {
		if t.visible(gr.meta) {
			items = append(items, listed{seq: gr.meta.seq, obj: toJSONMap(gr)})
		}
	}
	t.mu.Unlock()
	return g.respondList("oauth2PermissionGrants", grantSpec, &OAuth2PermissionGrant{}, items)
}

func (g *graphCall) getGrant(id string) *graphError {
	if err := g.canReadGrants(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	gr := t.grants[id]
	if gr == nil || !t.visible(gr.meta) {
		return errNotFound(id)
	}
	c := cloneJSON(gr)
	g.respond(http.StatusOK, "oauth2PermissionGrants", &c, nil)
	return nil
}

type grantCreate struct {
	ClientID    string  `json:"clientId"`
	ConsentType string  `json:"consentType"`
	PrincipalID *string `json:"principalId"`
	ResourceID  string  `json:"resourceId"`
	Scope       string  `json:"scope"`
	// startTime and expiryTime are deprecated in v1.0 but still accepted.
	StartTime  *string `json:"startTime"`
	ExpiryTime *string `json:"expiryTime"`
}

func (g *graphCall) createGrant() *graphError {
	if err := g.canWriteGrants(); err != nil {
		return err
	}
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var in grantCreate
	if gerr := decodeInto(body, &in, resourceOAuth2PermissionGrant); gerr != nil {
		return gerr
	}
	const res = resourceOAuth2PermissionGrant
	switch in.ConsentType {
	case "AllPrincipals":
		if in.PrincipalID != nil && *in.PrincipalID != "" {
			return errInvalidValue("principalId", res, "principalId must be null when consentType is AllPrincipals.")
		}
		in.PrincipalID = nil
	case "Principal":
		if in.PrincipalID == nil || *in.PrincipalID == "" {
			return errInvalidValue("principalId", res, "principalId is required when consentType is Principal.")
		}
	default:
		return errInvalidValue("consentType", res, "Allowed values are AllPrincipals, Principal.")
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	in.ClientID, in.ResourceID = strings.ToLower(in.ClientID), strings.ToLower(in.ResourceID)
	if t.sps[in.ClientID] == nil {
		return errNotFound(in.ClientID)
	}
	if t.sps[in.ResourceID] == nil {
		return errNotFound(in.ResourceID)
	}
	if in.PrincipalID != nil {
		if t.userByIDLocked(*in.PrincipalID) == nil {
			return errNotFound(*in.PrincipalID)
		}
	}
	for _, gr := range t.grants {
		if gr.ClientID == in.ClientID && gr.ResourceID == in.ResourceID && gr.ConsentType == in.ConsentType &&
			ptrEqualFold(gr.PrincipalID, in.PrincipalID) {
			return &graphError{status: http.StatusConflict, code: codeMultipleObjectsWithSameKeyValue,
				message: "Permission entry already exists."}
		}
	}
	gr := &OAuth2PermissionGrant{
		ID: grantID(), ClientID: in.ClientID, ConsentType: in.ConsentType, PrincipalID: in.PrincipalID,
		ResourceID: in.ResourceID, Scope: normalizeScope(in.Scope), meta: t.nextMeta(g.now),
	}
	t.grants[gr.ID] = gr
	c := cloneJSON(gr)
	g.respond(http.StatusCreated, "oauth2PermissionGrants", &c, nil)
	return nil
}

func (g *graphCall) patchGrant(id string) *graphError {
	if err := g.canWriteGrants(); err != nil {
		return err
	}
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var in struct {
		Scope *string `json:"scope"`
	}
	if gerr := decodeInto(body, &in, resourceOAuth2PermissionGrant); gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	gr := t.grants[id]
	if gr == nil {
		return errNotFound(id)
	}
	if in.Scope != nil {
		gr.Scope = normalizeScope(*in.Scope)
	}
	g.noContent()
	return nil
}

func (g *graphCall) deleteGrant(id string) *graphError {
	if err := g.canWriteGrants(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grants[id] == nil {
		return errNotFound(id)
	}
	delete(t.grants, id)
	g.noContent()
	return nil
}

// grantID mimics Graph's opaque base64url grant IDs.
func grantID() string {
	return strings.ReplaceAll(uuid.NewString()+uuid.NewString()[:8], "-", "")
}

func normalizeScope(s string) string { return strings.Join(strings.Fields(s), " ") }

func ptrEqualFold(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return strings.EqualFold(*a, *b)
}

// --- users (read only) ---

func routeUsers(method string, key *entityKey, rest []string) (graphRoute, *graphError) {
	if len(rest) > 0 {
		return graphRoute{}, errSegment(rest[0])
	}
	if method != http.MethodGet {
		return graphRoute{}, errMethod(method)
	}
	if key == nil {
		return graphRoute{op: "user.list", handle: (*graphCall).listUsers}, nil
	}
	k := *key
	return graphRoute{op: "user.get", handle: func(g *graphCall) *graphError { return g.getUser(k) }}, nil
}

func (g *graphCall) canReadUsers() *graphError {
	if g.who.has(RoleUserReadAll, RoleDirectoryReadAll, "User.ReadWrite.All") {
		return nil
	}
	return errForbidden()
}

func (g *graphCall) listUsers() *graphError {
	if err := g.canReadUsers(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	items := make([]listed, 0, len(t.users))
	for i := range t.users {
		items = append(items, listed{seq: int64(i + 1), obj: toJSONMap(&t.users[i])})
	}
	t.mu.Unlock()
	return g.respondList("users", userSpec, &User{}, items)
}

func (g *graphCall) getUser(k entityKey) *graphError {
	if err := g.canReadUsers(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, u := range t.users {
		if strings.EqualFold(u.ID, k.value) || strings.EqualFold(u.UserPrincipalName, k.value) {
			g.respond(http.StatusOK, "users", &u, nil)
			return nil
		}
	}
	return errNotFound(k.value)
}
