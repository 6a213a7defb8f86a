package graphapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// Route is one operation of the Graph v1.0 API the emulator serves.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the path under /v1.0: literal segments and {param}s. A {param} matches an entity
	// key, by object ID (applications/{id}) or by an alternate key (applications(appId='..')).
	Pattern string
	// Op names the operation in Counters.ByOperation.
	Op string
	// Write marks the routes that change the directory (POST, PATCH, DELETE): they are
	// throttled, counted as writes, and address objects on the primary, which replication lag
	// does not hide.
	Write bool
	// Roles are the Graph permissions (app roles, or delegated scopes of a user token) that admit
	// a caller; one is enough. A caller with none is refused 403 before anything is looked up,
	// so a refusal reveals nothing about what exists.
	Roles []string
	// Rule is what Graph requires beyond a role, checked on the object the path names.
	Rule Rule
	// Entity is what a GET returns, for $select and $filter.
	Entity *odata.EntitySpec

	// applies, when set, must hold too: an upsert is a PATCH with Prefer: create-if-missing.
	applies func(r *http.Request, p params) bool
	// createsMissing lets the handler create the {app} the path names instead of a 404.
	createsMissing bool
	// ownQuery marks a GET whose handler reads its query options itself (delta query's tokens).
	ownQuery bool
	handle   handler

	segments []string
}

// Rule narrows what a route's roles admit, where Graph's rule is finer than a role list.
type Rule int

const (
	// AnyObject means the roles admit the caller to every object.
	AnyObject Rule = iota
	// OwnedObjects means Application.ReadWrite.OwnedBy admits the caller only to the application or
	// service principal it owns; the other roles admit it to all. (Creating one needs no rule:
	// the creator owns what it makes.)
	OwnedObjects
	// OwnedObjectsOrSelf is OwnedObjects, and also admits an application acting on itself with no
	// role at all: Graph lets an application roll its own keys (addKey, removeKey) on the strength
	// of the proof it signs.
	OwnedObjectsOrSelf
)

// The role lists of Graph's permission reference for each family of operations.
var (
	readApplications = []string{
		directory.RoleApplicationReadAll, directory.RoleApplicationReadWriteAll,
		directory.RoleApplicationReadWriteOwnedBy, directory.RoleDirectoryReadAll,
	}
	writeApplications = []string{directory.RoleApplicationReadWriteAll, directory.RoleApplicationReadWriteOwnedBy}
	readAssignments   = []string{
		directory.RoleAppRoleAssignmentReadWriteAll, directory.RoleApplicationReadAll, directory.RoleApplicationReadWriteAll,
		directory.RoleApplicationReadWriteOwnedBy, directory.RoleDirectoryReadAll,
	}
	writeAssignments = []string{directory.RoleAppRoleAssignmentReadWriteAll}
	readGrants       = []string{
		directory.RoleDelegatedPermissionGrantRWAll, directory.RoleDirectoryReadAll,
		directory.RoleApplicationReadAll, directory.RoleApplicationReadWriteAll,
	}
	writeGrants = []string{directory.RoleDelegatedPermissionGrantRWAll}
	readUsers   = []string{directory.RoleUserReadAll, directory.RoleUserReadWriteAll, directory.RoleDirectoryReadAll}
	// App management policies: reading needs Policy.Read.All (or the write role), changing the
	// default policy Policy.ReadWrite.ApplicationConfiguration.
	readPolicies     = []string{directory.RolePolicyReadAll, directory.RolePolicyReadWriteAppConfig}
	writeAppPolicies = []string{directory.RolePolicyReadWriteAppConfig}
)

const (
	get  = http.MethodGet
	post = http.MethodPost
	pch  = http.MethodPatch
	del  = http.MethodDelete
)

// The entities several operations address.
const (
	applicationPath      = "/applications/{app}"
	ficPath              = applicationPath + "/federatedIdentityCredentials/{fic}"
	servicePrincipalPath = "/servicePrincipals/{sp}"
	grantPath            = "/oauth2PermissionGrants/{grant}"
)

// routes is the Graph API: every operation, what it needs, and who answers it. The first route
// that matches a request serves it.
var routes = compile([]*Route{
	// Delta query: before applicationPath, which would take "delta" for an application ID.
	{Method: get, Pattern: "/applications/delta", Op: "application.delta", Roles: readApplications, Entity: &applicationSpec,
		ownQuery: true, handle: deltaOf(directory.ChangeApplications, setApplications)},
	{Method: get, Pattern: "/servicePrincipals/delta", Op: "servicePrincipal.delta", Roles: readApplications, Entity: &servicePrincipalSpec,
		ownQuery: true, handle: deltaOf(directory.ChangeServicePrincipals, setServicePrincipals)},
	{Method: get, Pattern: "/applications", Op: "application.list", Roles: readApplications, Entity: &applicationSpec, handle: listVisible(setApplications, (*directory.Tx).Applications)},
	{Method: post, Pattern: "/applications", Op: "application.create", Write: true, Roles: writeApplications, handle: createApplication},
	{Method: get, Pattern: applicationPath, Op: "application.get", Roles: readApplications, Entity: &applicationSpec, handle: getApplication},
	{Method: pch, Pattern: applicationPath, Op: "application.upsert", Write: true, Roles: writeApplications, Rule: OwnedObjects,
		applies: isUpsert, createsMissing: true, handle: upsertApplication},
	{Method: pch, Pattern: applicationPath, Op: "application.patch", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: patchApplication},
	{Method: del, Pattern: applicationPath, Op: "application.delete", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: deleteApplication},
	{Method: post, Pattern: "/applications/{app}/addPassword", Op: "application.addPassword", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: addPassword},
	{Method: post, Pattern: "/applications/{app}/removePassword", Op: "application.removePassword", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: removePassword},
	{Method: post, Pattern: "/applications/{app}/addKey", Op: "application.addKey", Write: true, Roles: writeApplications, Rule: OwnedObjectsOrSelf, handle: addKey},
	{Method: post, Pattern: "/applications/{app}/removeKey", Op: "application.removeKey", Write: true, Roles: writeApplications, Rule: OwnedObjectsOrSelf, handle: removeKey},
	{Method: get, Pattern: "/applications/{app}/federatedIdentityCredentials", Op: "federatedIdentityCredential.list", Roles: readApplications, Entity: &ficSpec, handle: listFICs},
	{Method: post, Pattern: "/applications/{app}/federatedIdentityCredentials", Op: "federatedIdentityCredential.create", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: createFIC},
	{Method: get, Pattern: ficPath, Op: "federatedIdentityCredential.get", Roles: readApplications, Entity: &ficSpec, handle: readFound(ficSet)},
	{Method: pch, Pattern: ficPath, Op: "federatedIdentityCredential.patch", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: patchFIC},
	{Method: del, Pattern: ficPath, Op: "federatedIdentityCredential.delete", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: deleteFIC},
	{Method: get, Pattern: "/applications/{app}/owners", Op: "application.owners.list", Roles: readApplications, Entity: &directoryObjectSpec, handle: listOwners},
	{Method: post, Pattern: "/applications/{app}/owners/$ref", Op: "application.owners.add", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: addOwner},
	{Method: del, Pattern: "/applications/{app}/owners/{owner}/$ref", Op: "application.owners.remove", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: removeOwner},

	{Method: get, Pattern: "/servicePrincipals", Op: "servicePrincipal.list", Roles: readApplications, Entity: &servicePrincipalSpec, handle: listVisible(setServicePrincipals, (*directory.Tx).ServicePrincipals)},
	{Method: post, Pattern: "/servicePrincipals", Op: "servicePrincipal.create", Write: true, Roles: writeApplications, handle: createServicePrincipal},
	{Method: get, Pattern: servicePrincipalPath, Op: "servicePrincipal.get", Roles: readApplications, Entity: &servicePrincipalSpec, handle: readFound(inSet(setServicePrincipals))},
	{Method: pch, Pattern: servicePrincipalPath, Op: "servicePrincipal.patch", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: patchServicePrincipal},
	{Method: del, Pattern: servicePrincipalPath, Op: "servicePrincipal.delete", Write: true, Roles: writeApplications, Rule: OwnedObjects, handle: deleteServicePrincipal},
	{Method: get, Pattern: "/servicePrincipals/{sp}/appRoleAssignedTo", Op: "servicePrincipal.appRoleAssignedTo.list", Roles: readAssignments, Entity: &assignmentSpec, handle: listAssignments(asResource)},
	{Method: post, Pattern: "/servicePrincipals/{sp}/appRoleAssignedTo", Op: "servicePrincipal.appRoleAssignedTo.create", Write: true, Roles: writeAssignments, handle: createAssignment(asResource)},
	{Method: get, Pattern: "/servicePrincipals/{sp}/appRoleAssignedTo/{assignment}", Op: "servicePrincipal.appRoleAssignedTo.get", Roles: readAssignments, Entity: &assignmentSpec, handle: readFound(asResource.set)},
	{Method: del, Pattern: "/servicePrincipals/{sp}/appRoleAssignedTo/{assignment}", Op: "servicePrincipal.appRoleAssignedTo.delete", Write: true, Roles: writeAssignments, handle: deleteAssignment},
	{Method: get, Pattern: "/servicePrincipals/{sp}/appRoleAssignments", Op: "servicePrincipal.appRoleAssignments.list", Roles: readAssignments, Entity: &assignmentSpec, handle: listAssignments(asPrincipal)},
	{Method: post, Pattern: "/servicePrincipals/{sp}/appRoleAssignments", Op: "servicePrincipal.appRoleAssignments.create", Write: true, Roles: writeAssignments, handle: createAssignment(asPrincipal)},
	{Method: get, Pattern: "/servicePrincipals/{sp}/appRoleAssignments/{assignment}", Op: "servicePrincipal.appRoleAssignments.get", Roles: readAssignments, Entity: &assignmentSpec, handle: readFound(asPrincipal.set)},
	{Method: del, Pattern: "/servicePrincipals/{sp}/appRoleAssignments/{assignment}", Op: "servicePrincipal.appRoleAssignments.delete", Write: true, Roles: writeAssignments, handle: deleteAssignment},

	{Method: get, Pattern: "/oauth2PermissionGrants", Op: "oauth2PermissionGrant.list", Roles: readGrants, Entity: &grantSpec, handle: listVisible(setGrants, (*directory.Tx).Grants)},
	{Method: post, Pattern: "/oauth2PermissionGrants", Op: "oauth2PermissionGrant.create", Write: true, Roles: writeGrants, handle: createGrant},
	{Method: get, Pattern: grantPath, Op: "oauth2PermissionGrant.get", Roles: readGrants, Entity: &grantSpec, handle: readFound(inSet(setGrants))},
	{Method: pch, Pattern: grantPath, Op: "oauth2PermissionGrant.patch", Write: true, Roles: writeGrants, handle: patchGrant},
	{Method: del, Pattern: grantPath, Op: "oauth2PermissionGrant.delete", Write: true, Roles: writeGrants, handle: deleteGrant},

	{Method: get, Pattern: "/policies/defaultAppManagementPolicy", Op: "policy.defaultAppManagementPolicy.get", Roles: readPolicies, Entity: &policySpec, handle: getDefaultPolicy},
	{Method: pch, Pattern: "/policies/defaultAppManagementPolicy", Op: "policy.defaultAppManagementPolicy.patch", Write: true, Roles: writeAppPolicies, handle: patchDefaultPolicy},

	{Method: get, Pattern: "/users", Op: "user.list", Roles: readUsers, Entity: &userSpec, handle: listUsers},
	{Method: get, Pattern: "/users/{user}", Op: "user.get", Roles: readUsers, Entity: &userSpec, handle: readFound(inSet(setUsers))},
})

// Routes describes the Graph API the emulator serves, in matching order, for tests that walk it.
func Routes() []Route {
	out := make([]Route, 0, len(routes))
	for _, rt := range routes {
		c := *rt
		c.Roles = slices.Clone(rt.Roles)
		out = append(out, c)
	}
	return out
}

// compile splits the patterns and checks the table is consistent: a mistake here is a bug in the
// emulator, found when the package loads.
func compile(table []*Route) []*Route {
	ops := map[string]bool{}
	for _, rt := range table {
		rt.segments = strings.Split(strings.Trim(rt.Pattern, "/"), "/")
		switch {
		case ops[rt.Op]:
			panic("graphapi: operation " + rt.Op + " routed twice")
		case rt.Write != (rt.Method != http.MethodGet):
			panic("graphapi: " + rt.Op + ": Write must be set exactly for POST, PATCH and DELETE")
		case len(rt.Roles) == 0 || rt.handle == nil:
			panic("graphapi: " + rt.Op + " has no roles or no handler")
		case rt.Method == http.MethodGet && rt.Entity == nil:
			panic("graphapi: " + rt.Op + " returns no declared entity")
		}
		ops[rt.Op] = true
		for _, name := range rt.paramNames() {
			if finders[name] == nil {
				panic(fmt.Sprintf("graphapi: %s: no finder for {%s}", rt.Op, name))
			}
		}
	}
	return table
}

// paramNames lists the route's {param}s in path order.
func (rt *Route) paramNames() []string {
	var names []string
	for _, s := range rt.segments {
		if name, ok := paramName(s); ok {
			names = append(names, name)
		}
	}
	return names
}

func paramName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// returnsCollection reports whether a GET route lists (its path ends in a collection) rather
// than reads one entity.
func (rt *Route) returnsCollection() bool {
	_, entity := paramName(rt.segments[len(rt.segments)-1])
	return !entity
}

// isUpsert: a PATCH addressed by uniqueName with Prefer: create-if-missing creates the
// application when there is none.
func isUpsert(r *http.Request, p params) bool {
	if !strings.EqualFold(p["app"].key.By, propUniqueName) {
		return false
	}
	for _, v := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(pref), "create-if-missing") {
				return true
			}
		}
	}
	return false
}
