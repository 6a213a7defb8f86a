package graphapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

const setApplications = "applications"

func createApplication(c *call) (reply, *odata.Error) {
	a, gerr := newApplication(c, nil)
	if gerr != nil {
		return reply{}, gerr
	}
	return entity(http.StatusCreated, setApplications, a)
}

// upsertApplication creates the application the uniqueName in the path names, or changes it when
// it exists. Writes go to the primary: replication lag does not hide the object, so a retried
// upsert finds what the first attempt created.
func upsertApplication(c *call) (reply, *odata.Error) {
	if c.app != nil {
		return patchApplication(c)
	}
	name := c.params["app"].key.Value
	a, gerr := newApplication(c, &name)
	if gerr != nil {
		return reply{}, gerr
	}
	return entity(http.StatusCreated, setApplications, a)
}

func patchApplication(c *call) (reply, *odata.Error) {
	next, gerr := mergeApplication(c.tx, c.app, c.body, false, c.now)
	if gerr != nil {
		return reply{}, gerr
	}
	c.tx.ReplaceApplication(next)
	return noContent()
}

func deleteApplication(c *call) (reply, *odata.Error) {
	c.tx.DeleteApplication(c.app.ID)
	return noContent()
}

// newApplication validates a create body and stores the application, owned by an application
// caller. uniqueName, when set, comes from the upsert URL.
func newApplication(c *call, uniqueName *string) (*directory.Application, *odata.Error) {
	patch := c.body
	if uniqueName != nil {
		if v, ok := patch[propUniqueName]; ok {
			if s, _ := v.(string); !strings.EqualFold(s, *uniqueName) {
				return nil, odata.InvalidValue(propUniqueName, resourceApplication, "The uniqueName in the body does not match the one in the URL.")
			}
		}
		patch[propUniqueName] = *uniqueName
	}
	a, gerr := mergeApplication(c.tx, directory.EmptyApplication(), patch, true, c.now)
	if gerr != nil {
		return nil, gerr
	}
	a.ID = uuid.NewString()
	a.AppID = uuid.NewString()
	a.CreatedDateTime = c.now.UTC()
	a.PublisherDomain = c.dir.Domain()
	if a.SignInAudience == "" {
		a.SignInAudience = directory.SignInAudienceMyOrg
	}
	if !c.who.User && c.who.ObjectID != "" {
		a.Owners = []string{c.who.ObjectID}
	}
	c.tx.AddApplication(a, c.now)
	return a, nil
}

// readOnlyApplicationProps cannot be written by clients.
var readOnlyApplicationProps = []string{propID, propAppID, "createdDateTime", "publisherDomain", "deletedDateTime"}

// mergeApplication applies a create or PATCH body to a copy of cur with OData PATCH semantics
// (complex values merge, collections and primitives replace), refuses unknown and read-only
// properties, validates, checks the limits and the app management policy on the certificates it
// adds, and checks tenant-wide uniqueness. The result is not yet stored. now is the creation time
// of an application being created.
func mergeApplication(tx *directory.Tx, cur *directory.Application, patch map[string]any, creating bool, now time.Time) (*directory.Application, *odata.Error) {
	if gerr := checkWritableApplicationProps(cur, patch, creating); gerr != nil {
		return nil, gerr
	}
	var keys []directory.KeyCredential
	rawKeys, hasKeys := patch["keyCredentials"]
	if hasKeys {
		var gerr *odata.Error
		if keys, gerr = keyCredentialsFromBody(rawKeys, cur.KeyCredentials); gerr != nil {
			return nil, gerr
		}
		delete(patch, "keyCredentials")
	}
	merged := odata.ToMap(cur)
	deepMerge(merged, patch)
	next := &directory.Application{}
	if gerr := decodeInto(merged, next, resourceApplication); gerr != nil {
		return nil, gerr
	}
	c := directory.CloneApplication(cur)
	next.ID, next.AppID, next.CreatedDateTime, next.PublisherDomain = cur.ID, cur.AppID, cur.CreatedDateTime, cur.PublisherDomain
	next.Owners, next.FederatedIdentityCredentials, next.PasswordCredentials = c.Owners, c.FederatedIdentityCredentials, c.PasswordCredentials
	next.KeyCredentials = c.KeyCredentials
	if hasKeys {
		next.KeyCredentials = keys
	}
	directory.NormalizeApplication(next)
	if _, named := patch[propDisplayName]; creating && !named {
		return nil, odata.BadRequest("Property 'displayName' is required when creating an application.")
	}
	if gerr := validateApplication(next, cur); gerr != nil {
		return nil, gerr
	}
	if gerr := checkCollectionLimit(next, 0); gerr != nil {
		return nil, gerr
	}
	if hasKeys {
		if gerr := checkAddedKeys(tx, cur, keys, creating, now); gerr != nil {
			return nil, gerr
		}
	}
	if prop := tx.ConflictingProperty(next); prop != "" {
		return nil, errObjectConflict(prop)
	}
	return next, nil
}

// checkAddedKeys applies the app management policy to the certificates a keyCredentials write
// adds; the ones the application already holds are not judged again.
func checkAddedKeys(tx *directory.Tx, cur *directory.Application, keys []directory.KeyCredential, creating bool, now time.Time) *odata.Error {
	forPolicy := cur
	if creating {
		forPolicy = &directory.Application{CreatedDateTime: now}
	}
	for _, k := range keys {
		if slices.ContainsFunc(cur.KeyCredentials, func(old directory.KeyCredential) bool { return strings.EqualFold(old.KeyID, k.KeyID) }) {
			continue
		}
		if gerr := checkKeyPolicy(tx, forPolicy, *k.StartDateTime, *k.EndDateTime); gerr != nil {
			return gerr
		}
	}
	return nil
}

// checkWritableApplicationProps refuses a body that sets read-only properties,
// passwordCredentials (only the actions change those), or a different uniqueName after creation.
func checkWritableApplicationProps(cur *directory.Application, patch map[string]any, creating bool) *odata.Error {
	for _, p := range readOnlyApplicationProps {
		if _, ok := patch[p]; ok {
			return odata.BadRequest("Property '%s' is read-only and cannot be set.", p)
		}
	}
	if _, ok := patch["passwordCredentials"]; ok {
		return odata.BadRequest("Property 'passwordCredentials' cannot be set on an application; use the addPassword and removePassword actions.")
	}
	if v, ok := patch[propUniqueName]; ok && !creating {
		s, _ := v.(string)
		if cur.UniqueName == nil || !strings.EqualFold(*cur.UniqueName, s) {
			return odata.BadRequest("Property 'uniqueName' can only be set when the application is created.")
		}
	}
	return nil
}

// errObjectConflict is Graph's answer to a value another object already holds for a property that
// must be unique in the tenant.
func errObjectConflict(property string) *odata.Error {
	msg := fmt.Sprintf("Another object with the same value for property %s already exists.", property)
	return &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeRequestBadRequest, Message: msg,
		Details: []odata.ErrorDetail{{Code: "ObjectConflict", Message: msg, Target: property}}}
}

// deepMerge applies src onto dst: objects merge recursively, everything else (including arrays
// and null) replaces.
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
