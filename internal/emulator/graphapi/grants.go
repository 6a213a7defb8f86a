package graphapi

import (
	"net/http"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// oauth2PermissionGrants are delegated permission consent.

const setGrants = "oauth2PermissionGrants"

// grantCreate is what POST /oauth2PermissionGrants accepts.
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

func createGrant(c *call) (reply, *odata.Error) {
	var in grantCreate
	if gerr := decodeInto(c.body, &in, resourceOAuth2PermissionGrant); gerr != nil {
		return reply{}, gerr
	}
	if gerr := checkConsentType(&in); gerr != nil {
		return reply{}, gerr
	}
	in.ClientID, in.ResourceID = strings.ToLower(in.ClientID), strings.ToLower(in.ResourceID)
	for _, id := range []string{in.ClientID, in.ResourceID} {
		if c.tx.ServicePrincipal(directory.ByID(id)) == nil {
			return reply{}, odata.NotFound(id)
		}
	}
	if in.PrincipalID != nil && c.tx.User(*in.PrincipalID) == nil {
		return reply{}, odata.NotFound(*in.PrincipalID)
	}
	for _, gr := range c.tx.Grants() {
		if gr.ClientID == in.ClientID && gr.ResourceID == in.ResourceID && gr.ConsentType == in.ConsentType &&
			ptrEqualFold(gr.PrincipalID, in.PrincipalID) {
			return reply{}, errSameKey("Permission entry already exists.")
		}
	}
	gr := &directory.OAuth2PermissionGrant{
		ID: directory.NewGrantID(), ClientID: in.ClientID, ConsentType: in.ConsentType, PrincipalID: in.PrincipalID,
		ResourceID: in.ResourceID, Scope: normalizeScope(in.Scope),
	}
	c.tx.AddGrant(gr, c.now)
	return entity(http.StatusCreated, setGrants, gr)
}

// checkConsentType requires a principal exactly for consentType Principal.
func checkConsentType(in *grantCreate) *odata.Error {
	const res = resourceOAuth2PermissionGrant
	switch in.ConsentType {
	case "AllPrincipals":
		if in.PrincipalID != nil && *in.PrincipalID != "" {
			return odata.InvalidValue("principalId", res, "principalId must be null when consentType is AllPrincipals.")
		}
		in.PrincipalID = nil
	case "Principal":
		if in.PrincipalID == nil || *in.PrincipalID == "" {
			return odata.InvalidValue("principalId", res, "principalId is required when consentType is Principal.")
		}
	default:
		return odata.InvalidValue("consentType", res, "Allowed values are AllPrincipals, Principal.")
	}
	return nil
}

func patchGrant(c *call) (reply, *odata.Error) {
	var in struct {
		Scope *string `json:"scope"`
	}
	if gerr := decodeInto(c.body, &in, resourceOAuth2PermissionGrant); gerr != nil {
		return reply{}, gerr
	}
	if in.Scope != nil {
		c.grant.Scope = normalizeScope(*in.Scope)
	}
	return noContent()
}

func deleteGrant(c *call) (reply, *odata.Error) {
	c.tx.DeleteGrant(c.grant.ID)
	return noContent()
}

func normalizeScope(s string) string { return strings.Join(strings.Fields(s), " ") }

func ptrEqualFold(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return strings.EqualFold(*a, *b)
}
