package graphapi

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// App management policies: the tenant's default policy (GET and PATCH
// /policies/defaultAppManagementPolicy), and its enforcement where Graph enforces it, when a
// credential is added (addPassword, addKey, keyCredentials in a create or PATCH). Credentials an
// application already has are not judged again, as in Entra.

// The error codes Graph answers a credential an app management policy forbids with.
const (
	codeCredentialTypeNotAllowed = "CredentialTypeNotAllowedAsPerAppPolicy"
	codeCredentialLifetime       = "CredentialInvalidLifetimeAsPerAppPolicy"
	// detailInvalidKeyEndDate is the detail of a lifetime refusal: the end date is too late.
	detailInvalidKeyEndDate = "InvalidKeyEndDate"
)

const (
	resourcePolicy     = "TenantAppManagementPolicy"
	setDefaultPolicy   = "policies/defaultAppManagementPolicy"
	propMaxLifetime    = "maxLifetime"
	propRestrictionTyp = "restrictionType"
)

// The restriction types Graph defines, enforced or not by the emulator: a policy may hold any.
var (
	passwordRestrictionTypes = []string{directory.RestrictPasswordAddition, directory.RestrictPasswordLifetime,
		"symmetricKeyAddition", "symmetricKeyLifetime", "customPasswordAddition"}
	keyRestrictionTypes = []string{directory.RestrictAsymmetricKeyLifetime, "trustedCertificateAuthority"}
)

func getDefaultPolicy(c *call) (reply, *odata.Error) {
	return entity(http.StatusOK, setDefaultPolicy, c.tx.DefaultAppManagementPolicy())
}

func patchDefaultPolicy(c *call) (reply, *odata.Error) {
	cur := c.tx.DefaultAppManagementPolicy()
	if _, ok := c.body[propID]; ok {
		return reply{}, odata.BadRequest("Property 'id' is read-only and cannot be set.")
	}
	merged := odata.ToMap(cur)
	deepMerge(merged, c.body)
	var next directory.TenantAppManagementPolicy
	if gerr := decodeInto(merged, &next, resourcePolicy); gerr != nil {
		return reply{}, gerr
	}
	if gerr := ValidateAppManagementPolicy(&next); gerr != nil {
		return reply{}, gerr
	}
	next.ID = cur.ID
	*cur = next
	return noContent()
}

// ValidateAppManagementPolicy applies Graph's rules to a default policy: known restriction types,
// each at most once per collection, states enabled or disabled, and a positive ISO 8601
// maxLifetime exactly where a lifetime restriction needs one.
func ValidateAppManagementPolicy(p *directory.TenantAppManagementPolicy) *odata.Error {
	for _, set := range []struct {
		prop  string
		list  []directory.CredentialRestriction
		types []string
	}{
		{"applicationRestrictions.passwordCredentials", p.ApplicationRestrictions.PasswordCredentials, passwordRestrictionTypes},
		{"applicationRestrictions.keyCredentials", p.ApplicationRestrictions.KeyCredentials, keyRestrictionTypes},
		{"servicePrincipalRestrictions.passwordCredentials", p.ServicePrincipalRestrictions.PasswordCredentials, passwordRestrictionTypes},
		{"servicePrincipalRestrictions.keyCredentials", p.ServicePrincipalRestrictions.KeyCredentials, keyRestrictionTypes},
	} {
		seen := map[string]bool{}
		for _, r := range set.list {
			if !slices.Contains(set.types, r.RestrictionType) {
				return odata.InvalidValue(set.prop+"."+propRestrictionTyp, resourcePolicy, fmt.Sprintf("'%s' is not one of %v.", r.RestrictionType, set.types))
			}
			if seen[r.RestrictionType] {
				return odata.InvalidValue(set.prop+"."+propRestrictionTyp, resourcePolicy, fmt.Sprintf("'%s' is listed twice; each restriction type may be used once per policy.", r.RestrictionType))
			}
			seen[r.RestrictionType] = true
			if r.State != "" && r.State != directory.RestrictionEnabled && r.State != directory.RestrictionDisabled {
				return odata.InvalidValue(set.prop+".state", resourcePolicy, "Allowed values are enabled, disabled.")
			}
			lifetime := isLifetimeRestriction(r.RestrictionType)
			switch {
			case lifetime && r.MaxLifetime == nil:
				return odata.InvalidValue(set.prop+"."+propMaxLifetime, resourcePolicy, fmt.Sprintf("A maxLifetime is required for '%s'.", r.RestrictionType))
			case !lifetime && r.MaxLifetime != nil:
				return odata.InvalidValue(set.prop+"."+propMaxLifetime, resourcePolicy, fmt.Sprintf("'%s' takes no maxLifetime.", r.RestrictionType))
			case lifetime:
				if d, err := odata.ParseDuration(*r.MaxLifetime); err != nil || d <= 0 {
					return odata.InvalidValue(set.prop+"."+propMaxLifetime, resourcePolicy, fmt.Sprintf("'%s' is not a positive ISO 8601 duration.", *r.MaxLifetime))
				}
			}
		}
	}
	return nil
}

func isLifetimeRestriction(t string) bool {
	return t == directory.RestrictPasswordLifetime || t == directory.RestrictAsymmetricKeyLifetime || t == "symmetricKeyLifetime"
}

// checkPasswordPolicy refuses a new client secret of app valid from start to end that the
// tenant's default policy forbids.
func checkPasswordPolicy(tx *directory.Tx, app *directory.Application, start, end time.Time) *odata.Error {
	p := tx.DefaultAppManagementPolicy()
	if !p.IsEnabled {
		return nil
	}
	for _, r := range p.ApplicationRestrictions.PasswordCredentials {
		if !r.AppliesTo(app.CreatedDateTime) {
			continue
		}
		switch r.RestrictionType {
		case directory.RestrictPasswordAddition:
			return &odata.Error{Status: http.StatusBadRequest, Code: codeCredentialTypeNotAllowed,
				Message: fmt.Sprintf("Password credentials are not allowed as per assigned policy '%s'.", p.DisplayName),
				Details: []odata.ErrorDetail{{Code: codeCredentialTypeNotAllowed, Message: "Password addition is restricted.", Target: "passwordCredentials"}}}
		case directory.RestrictPasswordLifetime:
			if gerr := checkLifetime(p, r, start, end, "passwordCredential.endDateTime"); gerr != nil {
				return gerr
			}
		}
	}
	return nil
}

// checkKeyPolicy refuses a new certificate valid from start to end that the default policy's
// asymmetricKeyLifetime forbids.
func checkKeyPolicy(tx *directory.Tx, app *directory.Application, start, end time.Time) *odata.Error {
	p := tx.DefaultAppManagementPolicy()
	if !p.IsEnabled {
		return nil
	}
	for _, r := range p.ApplicationRestrictions.KeyCredentials {
		if r.RestrictionType == directory.RestrictAsymmetricKeyLifetime && r.AppliesTo(app.CreatedDateTime) {
			if gerr := checkLifetime(p, r, start, end, "keyCredentials.endDateTime"); gerr != nil {
				return gerr
			}
		}
	}
	return nil
}

// checkLifetime refuses a credential whose lifetime exceeds the restriction's maxLifetime.
func checkLifetime(p *directory.TenantAppManagementPolicy, r directory.CredentialRestriction, start, end time.Time, target string) *odata.Error {
	if r.MaxLifetime == nil {
		return nil
	}
	maxLifetime, err := odata.ParseDuration(*r.MaxLifetime)
	if err != nil || end.Sub(start) <= maxLifetime {
		return nil
	}
	return &odata.Error{Status: http.StatusBadRequest, Code: codeCredentialLifetime,
		Message: fmt.Sprintf("Credential lifetime exceeds the max value allowed as per assigned policy '%s'.", p.DisplayName),
		Details: []odata.ErrorDetail{{Code: detailInvalidKeyEndDate, Message: fmt.Sprintf("The end date must be at most %s after the start date.", *r.MaxLifetime), Target: target}}}
}
