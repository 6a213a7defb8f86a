package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// routeApplications routes /applications and everything below it.
func routeApplications(r *http.Request, key *entityKey, rest []string) (graphRoute, *graphError) {
	method := r.Method
	if key == nil {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "application.list", handle: (*graphCall).listApplications}, nil
		case http.MethodPost:
			return graphRoute{op: "application.create", write: true, handle: (*graphCall).createApplication}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	k := *key
	if len(rest) == 0 {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "application.get", handle: func(g *graphCall) *graphError { return g.getApplication(k) }}, nil
		case http.MethodPatch:
			op := "application.patch"
			if strings.EqualFold(k.by, propUniqueName) && preferCreateIfMissing(r) {
				op = "application.upsert"
			}
			return graphRoute{op: op, write: true, appKey: &k, handle: func(g *graphCall) *graphError { return g.patchApplication(k) }}, nil
		case http.MethodDelete:
			return graphRoute{op: "application.delete", write: true, appKey: &k, handle: func(g *graphCall) *graphError { return g.deleteApplication(k) }}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	sub, subKey := parseSegment(rest[0])
	if subKey == nil && len(rest) > 1 {
		subKey = &entityKey{collection: sub, by: "id", value: rest[1]}
		rest = append([]string{rest[0]}, rest[2:]...)
	}
	switch sub {
	case actionAddPassword, actionRemovePassword, actionAddKey, actionRemoveKey:
		if method != http.MethodPost || len(rest) != 1 {
			return graphRoute{}, errMethod(method)
		}
		action := sub
		return graphRoute{op: "application." + action, write: true, appKey: &k,
			handle: func(g *graphCall) *graphError { return g.credentialAction(k, action) }}, nil
	case "federatedIdentityCredentials":
		return routeFederatedCredentials(method, k, subKey, rest[1:])
	case "owners":
		return routeOwners(method, k, subKey, rest[1:])
	}
	return graphRoute{}, errSegment(rest[0])
}

func preferCreateIfMissing(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "create-if-missing") {
				return true
			}
		}
	}
	return false
}

// --- authorization ---

// canReadApplications: any application read or write permission.
func (g *graphCall) canReadApplications() *graphError {
	if g.who.has(RoleApplicationReadAll, RoleApplicationReadWriteAll, RoleApplicationReadWriteOwnedBy, RoleDirectoryReadAll) {
		return nil
	}
	return errForbidden()
}

// canWriteApplication: Application.ReadWrite.All, or OwnedBy on an owned
// application (or for a create, where the caller becomes the owner).
func (g *graphCall) canWriteApplication(a *Application) *graphError {
	if g.who.has(RoleApplicationReadWriteAll) {
		return nil
	}
	if g.who.has(RoleApplicationReadWriteOwnedBy) && (a == nil || slices.Contains(a.Owners, g.who.oid)) {
		return nil
	}
	return errForbidden()
}

// --- handlers ---

func (g *graphCall) listApplications() *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	items := make([]listed, 0, len(t.apps))
	for _, a := range t.apps {
		if t.visible(a.meta) {
			items = append(items, listed{seq: a.meta.seq, obj: toJSONMap(a)})
		}
	}
	t.mu.Unlock()
	return g.respondList("applications", applicationSpec, emptyApplication(), items)
}

func emptyApplication() *Application {
	a := &Application{}
	normalizeApplication(a)
	return a
}

func (g *graphCall) getApplication(k entityKey) *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	sel, gerr := parseSingleQuery(g.r.URL.Query(), applicationSpec, toJSONMap(emptyApplication()))
	if gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	a := t.findAppLocked(k)
	if a == nil || !t.visible(a.meta) {
		t.mu.Unlock()
		return errNotFound(k.value)
	}
	c := cloneApplication(a)
	t.mu.Unlock()
	g.respond(http.StatusOK, "applications", &c, sel)
	return nil
}

func (g *graphCall) createApplication() *graphError {
	if err := g.canWriteApplication(nil); err != nil {
		return err
	}
	patch, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	a, gerr := t.newApplicationLocked(patch, g.who, g.now, nil)
	if gerr != nil {
		t.mu.Unlock()
		return gerr
	}
	c := cloneApplication(a)
	t.mu.Unlock()
	g.respond(http.StatusCreated, "applications", &c, nil)
	return nil
}

// newApplicationLocked validates a create body and stores the application.
// uniqueName, when set, comes from the upsert URL.
func (t *Tenant) newApplicationLocked(patch map[string]any, who caller, now time.Time, uniqueName *string) (*Application, *graphError) {
	if uniqueName != nil {
		if v, ok := patch[propUniqueName]; ok {
			if s, _ := v.(string); !strings.EqualFold(s, *uniqueName) {
				return nil, errInvalidValue(propUniqueName, resourceApplication, "The uniqueName in the body does not match the one in the URL.")
			}
		}
		patch[propUniqueName] = *uniqueName
	}
	base := emptyApplication()
	a, gerr := t.mergeApplicationLocked(base, patch, true)
	if gerr != nil {
		return nil, gerr
	}
	a.ID = uuid.NewString()
	a.AppID = uuid.NewString()
	a.CreatedDateTime = now.UTC()
	a.PublisherDomain = t.domain
	if a.SignInAudience == "" {
		a.SignInAudience = signInAudienceMyOrg
	}
	if !who.user && who.oid != "" {
		a.Owners = []string{who.oid}
	}
	a.meta = t.nextMeta(now)
	t.apps[a.ID] = a
	return a, nil
}

func (g *graphCall) patchApplication(k entityKey) *graphError {
	patch, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	// Writes go to the primary: replication lag does not hide the object,
	// so a retried upsert finds what the first attempt created.
	cur := t.findAppLocked(k)
	if cur == nil {
		if strings.EqualFold(k.by, propUniqueName) && preferCreateIfMissing(g.r) {
			if err := g.canWriteApplication(nil); err != nil {
				return err
			}
			name := k.value
			a, gerr := t.newApplicationLocked(patch, g.who, g.now, &name)
			if gerr != nil {
				return gerr
			}
			c := cloneApplication(a)
			g.respond(http.StatusCreated, "applications", &c, nil)
			return nil
		}
		return errNotFound(k.value)
	}
	if err := g.canWriteApplication(cur); err != nil {
		return err
	}
	next, gerr := t.mergeApplicationLocked(cur, patch, false)
	if gerr != nil {
		return gerr
	}
	t.apps[next.ID] = next
	t.syncServicePrincipalLocked(next)
	g.noContent()
	return nil
}

func (g *graphCall) deleteApplication(k entityKey) *graphError {
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.findAppLocked(k)
	if cur == nil {
		if err := g.canWriteApplication(nil); err != nil {
			return err
		}
		return errNotFound(k.value)
	}
	if err := g.canWriteApplication(cur); err != nil {
		return err
	}
	t.deleteApplicationLocked(cur.ID)
	g.noContent()
	return nil
}

// readOnlyApplicationProps cannot be written by clients.
var readOnlyApplicationProps = []string{"id", propAppID, "createdDateTime", "publisherDomain", "deletedDateTime"}

// mergeApplicationLocked applies a create/PATCH body to a copy of cur with
// OData PATCH semantics (complex values merge, collections and primitives
// replace), refuses unknown and read-only properties, validates, and checks
// tenant-wide uniqueness. The returned application is not yet stored.
func (t *Tenant) mergeApplicationLocked(cur *Application, patch map[string]any, creating bool) (*Application, *graphError) {
	if gerr := checkWritableApplicationProps(cur, patch, creating); gerr != nil {
		return nil, gerr
	}
	var keys []KeyCredential
	rawKeys, hasKeys := patch["keyCredentials"]
	if hasKeys {
		var gerr *graphError
		keys, gerr = keyCredentialsFromBody(rawKeys, cur.KeyCredentials)
		if gerr != nil {
			return nil, gerr
		}
		delete(patch, "keyCredentials")
	}

	merged := toJSONMap(cur)
	deepMerge(merged, patch)
	next := &Application{}
	if gerr := decodeInto(merged, next, resourceApplication); gerr != nil {
		return nil, gerr
	}
	next.ID, next.AppID, next.CreatedDateTime, next.PublisherDomain = cur.ID, cur.AppID, cur.CreatedDateTime, cur.PublisherDomain
	next.meta = cur.meta
	c := cloneApplication(cur)
	next.Owners, next.FederatedIdentityCredentials, next.PasswordCredentials = c.Owners, c.FederatedIdentityCredentials, c.PasswordCredentials
	if hasKeys {
		next.KeyCredentials = keys
	} else {
		next.KeyCredentials = c.KeyCredentials
	}
	normalizeApplication(next)
	if creating {
		if _, ok := patch[propDisplayName]; !ok {
			return nil, errBadRequest("Property 'displayName' is required when creating an application.")
		}
	}
	if gerr := validateApplication(next, cur); gerr != nil {
		return nil, gerr
	}
	if gerr := t.checkApplicationUniqueLocked(next, cur.ID); gerr != nil {
		return nil, gerr
	}
	return next, nil
}

// checkWritableApplicationProps refuses a body that sets read-only
// properties, passwordCredentials (only the actions change those), or a
// different uniqueName after creation.
func checkWritableApplicationProps(cur *Application, patch map[string]any, creating bool) *graphError {
	for _, p := range readOnlyApplicationProps {
		if _, ok := patch[p]; ok {
			return errBadRequest("Property '%s' is read-only and cannot be set.", p)
		}
	}
	if _, ok := patch["passwordCredentials"]; ok {
		return errBadRequest("Property 'passwordCredentials' cannot be set on an application; use the addPassword and removePassword actions.")
	}
	if !creating {
		if v, ok := patch[propUniqueName]; ok {
			s, _ := v.(string)
			if cur.UniqueName == nil || !strings.EqualFold(*cur.UniqueName, s) {
				return errBadRequest("Property 'uniqueName' can only be set when the application is created.")
			}
		}
	}
	return nil
}

// checkApplicationUniqueLocked refuses next when another application (not
// selfID) already has its uniqueName or one of its identifier URIs.
func (t *Tenant) checkApplicationUniqueLocked(next *Application, selfID string) *graphError {
	for _, other := range t.apps {
		if other.ID == selfID {
			continue
		}
		if next.UniqueName != nil && other.UniqueName != nil && strings.EqualFold(*next.UniqueName, *other.UniqueName) {
			return errObjectConflict(propUniqueName)
		}
		for _, u := range next.IdentifierURIs {
			if slices.ContainsFunc(other.IdentifierURIs, func(o string) bool { return strings.EqualFold(o, u) }) {
				return errObjectConflict("identifierUris")
			}
		}
	}
	return nil
}

// errObjectConflict is Graph's answer to a value another object already
// holds for a property that must be unique in the tenant.
func errObjectConflict(property string) *graphError {
	msg := fmt.Sprintf("Another object with the same value for property %s already exists.", property)
	return &graphError{status: http.StatusBadRequest, code: codeRequestBadRequest, message: msg,
		details: []errorDetail{{Code: "ObjectConflict", Message: msg, Target: property}}}
}

// deepMerge applies src onto dst: objects merge recursively, everything
// else (including arrays and null) replaces.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				deepMerge(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}
