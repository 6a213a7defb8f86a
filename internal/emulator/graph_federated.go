package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Limits Entra applies to federated identity credentials.
const (
	maxFederatedCredentials = 20
	maxFICNameLength        = 120
)

func routeFederatedCredentials(method string, app entityKey, key *entityKey, rest []string) (graphRoute, *graphError) {
	if len(rest) > 0 {
		return graphRoute{}, errSegment(rest[0])
	}
	if key == nil {
		switch method {
		case http.MethodGet:
			return graphRoute{op: "federatedIdentityCredential.list", handle: func(g *graphCall) *graphError { return g.listFICs(app) }}, nil
		case http.MethodPost:
			return graphRoute{op: "federatedIdentityCredential.create", write: true, appKey: &app,
				handle: func(g *graphCall) *graphError { return g.createFIC(app) }}, nil
		}
		return graphRoute{}, errMethod(method)
	}
	k := *key
	switch method {
	case http.MethodGet:
		return graphRoute{op: "federatedIdentityCredential.get", handle: func(g *graphCall) *graphError { return g.getFIC(app, k) }}, nil
	case http.MethodPatch:
		return graphRoute{op: "federatedIdentityCredential.patch", write: true, appKey: &app,
			handle: func(g *graphCall) *graphError { return g.patchFIC(app, k) }}, nil
	case http.MethodDelete:
		return graphRoute{op: "federatedIdentityCredential.delete", write: true, appKey: &app,
			handle: func(g *graphCall) *graphError { return g.deleteFIC(app, k) }}, nil
	}
	return graphRoute{}, errMethod(method)
}

// appForRead finds a visible application or answers 404; callers hold t.mu.
func (g *graphCall) appForReadLocked(k entityKey) (*Application, *graphError) {
	a := g.t.findAppLocked(k)
	if a == nil || !g.t.visible(a.meta) {
		return nil, errNotFound(k.value)
	}
	return a, nil
}

// appForWriteLocked finds an application on the primary and checks the
// caller may change it; callers hold t.mu.
func (g *graphCall) appForWriteLocked(k entityKey) (*Application, *graphError) {
	a := g.t.findAppLocked(k)
	if a == nil {
		if err := g.canWriteApplication(nil); err != nil {
			return nil, err
		}
		return nil, errNotFound(k.value)
	}
	if err := g.canWriteApplication(a); err != nil {
		return nil, err
	}
	return a, nil
}

func findFIC(a *Application, k entityKey) int {
	return slices.IndexFunc(a.FederatedIdentityCredentials, func(f FederatedIdentityCredential) bool {
		if strings.EqualFold(k.by, propName) {
			return strings.EqualFold(f.Name, k.value)
		}
		return strings.EqualFold(f.ID, k.value)
	})
}

func (g *graphCall) listFICs(app entityKey) *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	g.t.mu.Lock()
	a, gerr := g.appForReadLocked(app)
	if gerr != nil {
		g.t.mu.Unlock()
		return gerr
	}
	items := make([]listed, 0, len(a.FederatedIdentityCredentials))
	for i, f := range a.FederatedIdentityCredentials {
		items = append(items, listed{seq: int64(i + 1), obj: toJSONMap(&f)})
	}
	g.t.mu.Unlock()
	return g.respondList(fmt.Sprintf("applications('%s')/federatedIdentityCredentials", a.ID), ficSpec, &FederatedIdentityCredential{Audiences: []string{}}, items)
}

func (g *graphCall) getFIC(app, k entityKey) *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForReadLocked(app)
	if gerr != nil {
		return gerr
	}
	i := findFIC(a, k)
	if i < 0 {
		return errNotFound(k.value)
	}
	f := a.FederatedIdentityCredentials[i]
	g.respond(http.StatusOK, fmt.Sprintf("applications('%s')/federatedIdentityCredentials", a.ID), &f, nil)
	return nil
}

func (g *graphCall) createFIC(app entityKey) *graphError {
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	var f FederatedIdentityCredential
	if gerr := decodeInto(body, &f, resourceFederatedIdentityCredential); gerr != nil {
		return gerr
	}
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForWriteLocked(app)
	if gerr != nil {
		return gerr
	}
	if len(a.FederatedIdentityCredentials) >= maxFederatedCredentials {
		return errBadRequest("An application can have at most %d federated identity credentials.", maxFederatedCredentials)
	}
	f.ID = uuid.NewString()
	if gerr := validateFIC(f, a, -1); gerr != nil {
		return gerr
	}
	a.FederatedIdentityCredentials = append(a.FederatedIdentityCredentials, f)
	g.respond(http.StatusCreated, fmt.Sprintf("applications('%s')/federatedIdentityCredentials", a.ID), &f, nil)
	return nil
}

func (g *graphCall) patchFIC(app, k entityKey) *graphError {
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForWriteLocked(app)
	if gerr != nil {
		return gerr
	}
	i := findFIC(a, k)
	if i < 0 {
		return errNotFound(k.value)
	}
	cur := a.FederatedIdentityCredentials[i]
	if _, ok := body["id"]; ok {
		return errBadRequest("Property 'id' is read-only and cannot be set.")
	}
	if v, ok := body[propName]; ok {
		if s, _ := v.(string); s != cur.Name {
			return errBadRequest("Property 'name' cannot be changed after creation.")
		}
	}
	merged := toJSONMap(&cur)
	deepMerge(merged, body)
	var next FederatedIdentityCredential
	if gerr := decodeInto(merged, &next, resourceFederatedIdentityCredential); gerr != nil {
		return gerr
	}
	next.ID = cur.ID
	if gerr := validateFIC(next, a, i); gerr != nil {
		return gerr
	}
	a.FederatedIdentityCredentials[i] = next
	g.noContent()
	return nil
}

func (g *graphCall) deleteFIC(app, k entityKey) *graphError {
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForWriteLocked(app)
	if gerr != nil {
		return gerr
	}
	i := findFIC(a, k)
	if i < 0 {
		return errNotFound(k.value)
	}
	a.FederatedIdentityCredentials = slices.Delete(a.FederatedIdentityCredentials, i, i+1)
	g.noContent()
	return nil
}

// validateFIC applies Entra's rules: name, issuer, subject required; a
// single audience; name and issuer+subject unique within the application.
func validateFIC(f FederatedIdentityCredential, a *Application, self int) *graphError {
	const res = resourceFederatedIdentityCredential
	if f.Name == "" || len(f.Name) > maxFICNameLength || strings.ContainsAny(f.Name, "/\\") {
		return errInvalidValue(propName, res, fmt.Sprintf("The name is required, at most %d characters, without slashes.", maxFICNameLength))
	}
	if f.Issuer == "" {
		return errInvalidValue(propIssuer, res, "The issuer is required.")
	}
	if f.Subject == "" {
		return errInvalidValue("subject", res, "The subject is required.")
	}
	if len(f.Audiences) != 1 || f.Audiences[0] == "" {
		return errInvalidValue("audiences", res, "Exactly one audience is required.")
	}
	for i, o := range a.FederatedIdentityCredentials {
		if i == self {
			continue
		}
		if strings.EqualFold(o.Name, f.Name) {
			return &graphError{status: http.StatusConflict, code: codeMultipleObjectsWithSameKeyValue,
				message: fmt.Sprintf("FederatedIdentityCredential with name %s already exists.", f.Name)}
		}
		if o.Issuer == f.Issuer && o.Subject == f.Subject {
			return &graphError{status: http.StatusConflict, code: codeMultipleObjectsWithSameKeyValue,
				message: "FederatedIdentityCredential with the same issuer and subject already exists."}
		}
	}
	return nil
}

// --- owners ---

func routeOwners(method string, app entityKey, owner *entityKey, rest []string) (graphRoute, *graphError) {
	switch {
	case owner == nil && len(rest) == 0 && method == http.MethodGet:
		return graphRoute{op: "application.owners.list", handle: func(g *graphCall) *graphError { return g.listOwners(app) }}, nil
	case owner != nil && owner.value == "$ref" && len(rest) == 0 && method == http.MethodPost:
		return graphRoute{op: "application.owners.add", write: true, appKey: &app, handle: func(g *graphCall) *graphError { return g.addOwner(app) }}, nil
	case owner != nil && len(rest) == 1 && rest[0] == "$ref" && method == http.MethodDelete:
		id := owner.value
		return graphRoute{op: "application.owners.remove", write: true, appKey: &app, handle: func(g *graphCall) *graphError { return g.removeOwner(app, id) }}, nil
	}
	return graphRoute{}, errMethod(method)
}

func (g *graphCall) listOwners(app entityKey) *graphError {
	if err := g.canReadApplications(); err != nil {
		return err
	}
	t := g.t
	t.mu.Lock()
	a, gerr := g.appForReadLocked(app)
	if gerr != nil {
		t.mu.Unlock()
		return gerr
	}
	var items []listed
	for i, id := range a.Owners {
		if obj := t.directoryObjectLocked(id); obj != nil {
			items = append(items, listed{seq: int64(i + 1), obj: obj})
		}
	}
	t.mu.Unlock()
	return g.respondList("directoryObjects", directoryObjectSpec, map[string]any{"id": ""}, items)
}

// directoryObjectLocked renders a service principal or user as a
// directoryObject with its @odata.type.
func (t *Tenant) directoryObjectLocked(id string) map[string]any {
	if sp := t.sps[strings.ToLower(id)]; sp != nil {
		m := toJSONMap(sp)
		m["@odata.type"] = "#microsoft.graph.servicePrincipal"
		return m
	}
	if u := t.userByIDLocked(id); u != nil {
		m := toJSONMap(u)
		m["@odata.type"] = "#microsoft.graph.user"
		return m
	}
	return nil
}

func (g *graphCall) addOwner(app entityKey) *graphError {
	// The reference lives in "@odata.id", which decodeObject strips.
	var ref map[string]any
	if err := json.NewDecoder(bytes.NewReader(g.body)).Decode(&ref); err != nil {
		return errBadRequest("Invalid reference body: a JSON object with @odata.id is required.")
	}
	odataID, _ := ref["@odata.id"].(string)
	id := odataID[strings.LastIndex(odataID, "/")+1:]
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForWriteLocked(app)
	if gerr != nil {
		return gerr
	}
	if id == "" || g.t.directoryObjectLocked(id) == nil {
		return errNotFound(id)
	}
	if slices.Contains(a.Owners, strings.ToLower(id)) {
		return errBadRequest("One or more added object references already exist for the following modified properties: 'owners'.")
	}
	a.Owners = append(a.Owners, strings.ToLower(id))
	g.noContent()
	return nil
}

func (g *graphCall) removeOwner(app entityKey, id string) *graphError {
	g.t.mu.Lock()
	defer g.t.mu.Unlock()
	a, gerr := g.appForWriteLocked(app)
	if gerr != nil {
		return gerr
	}
	i := slices.Index(a.Owners, strings.ToLower(id))
	if i < 0 {
		return errNotFound(id)
	}
	a.Owners = slices.Delete(a.Owners, i, i+1)
	g.noContent()
	return nil
}
