package graphapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// Limits Entra applies to federated identity credentials.
const (
	maxFederatedCredentials = 20
	maxFICNameLength        = 120
)

// ficSet is the entity set of the application's federated identity credentials.
func ficSet(c *call) string {
	return fmt.Sprintf("applications('%s')/federatedIdentityCredentials", c.app.ID)
}

func listFICs(c *call) (reply, *odata.Error) {
	items := make([]odata.Item, 0, len(c.app.FederatedIdentityCredentials))
	for i, f := range c.app.FederatedIdentityCredentials {
		items = append(items, odata.Item{Seq: int64(i + 1), Object: odata.ToMap(&f)})
	}
	return collection(ficSet(c), items)
}

func createFIC(c *call) (reply, *odata.Error) {
	var f directory.FederatedIdentityCredential
	if gerr := decodeInto(c.body, &f, resourceFederatedIdentityCredential); gerr != nil {
		return reply{}, gerr
	}
	if len(c.app.FederatedIdentityCredentials) >= maxFederatedCredentials {
		return reply{}, odata.BadRequest("An application can have at most %d federated identity credentials.", maxFederatedCredentials)
	}
	if gerr := checkCollectionLimit(c.app, 1); gerr != nil {
		return reply{}, gerr
	}
	f.ID = uuid.NewString()
	if gerr := validateFIC(f, c.app, -1); gerr != nil {
		return reply{}, gerr
	}
	c.app.FederatedIdentityCredentials = append(c.app.FederatedIdentityCredentials, f)
	return entity(http.StatusCreated, ficSet(c), &f)
}

func patchFIC(c *call) (reply, *odata.Error) {
	cur := c.app.FederatedIdentityCredentials[c.fic]
	if _, ok := c.body[propID]; ok {
		return reply{}, odata.BadRequest("Property 'id' is read-only and cannot be set.")
	}
	if v, ok := c.body[propName]; ok {
		if s, _ := v.(string); s != cur.Name {
			return reply{}, odata.BadRequest("Property 'name' cannot be changed after creation.")
		}
	}
	merged := odata.ToMap(&cur)
	deepMerge(merged, c.body)
	var next directory.FederatedIdentityCredential
	if gerr := decodeInto(merged, &next, resourceFederatedIdentityCredential); gerr != nil {
		return reply{}, gerr
	}
	next.ID = cur.ID
	if gerr := validateFIC(next, c.app, c.fic); gerr != nil {
		return reply{}, gerr
	}
	c.app.FederatedIdentityCredentials[c.fic] = next
	return noContent()
}

func deleteFIC(c *call) (reply, *odata.Error) {
	c.app.FederatedIdentityCredentials = slices.Delete(c.app.FederatedIdentityCredentials, c.fic, c.fic+1)
	return noContent()
}

// validateFIC applies Entra's rules: name, issuer, subject required; a single audience; name and
// issuer+subject unique within the application (self is the index of f itself, or -1).
func validateFIC(f directory.FederatedIdentityCredential, a *directory.Application, self int) *odata.Error {
	const res = resourceFederatedIdentityCredential
	if f.Name == "" || len(f.Name) > maxFICNameLength || strings.ContainsAny(f.Name, "/\\") {
		return odata.InvalidValue(propName, res, fmt.Sprintf("The name is required, at most %d characters, without slashes.", maxFICNameLength))
	}
	if f.Issuer == "" {
		return odata.InvalidValue(propIssuer, res, "The issuer is required.")
	}
	if f.Subject == "" {
		return odata.InvalidValue("subject", res, "The subject is required.")
	}
	if len(f.Audiences) != 1 || f.Audiences[0] == "" {
		return odata.InvalidValue("audiences", res, "Exactly one audience is required.")
	}
	for i, o := range a.FederatedIdentityCredentials {
		if i == self {
			continue
		}
		if strings.EqualFold(o.Name, f.Name) {
			return errSameKey(fmt.Sprintf("FederatedIdentityCredential with name %s already exists.", f.Name))
		}
		if o.Issuer == f.Issuer && o.Subject == f.Subject {
			return errSameKey("FederatedIdentityCredential with the same issuer and subject already exists.")
		}
	}
	return nil
}

// errSameKey is Graph's 409 for an object whose key another already has.
func errSameKey(msg string) *odata.Error {
	return &odata.Error{Status: http.StatusConflict, Code: odata.CodeMultipleObjectsWithSameKeyValue, Message: msg}
}
