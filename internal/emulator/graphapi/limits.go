package graphapi

import (
	"fmt"
	"net/http"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// The limits Entra documents for an application's collections ("Validation differences by
// supported account types" and the application limits of Microsoft Entra service limits).
const (
	// maxPersonalAccountSecrets is how many client secrets an application that admits personal
	// Microsoft accounts may hold.
	maxPersonalAccountSecrets = 2
	// maxCollectionItems bounds the items of an application's collection properties together.
	// Entra documents "about 1,000"; the emulator holds it at exactly that.
	maxCollectionItems = 1000
	// codeTooManyPasswords is Graph's error code when an application holds as many client secrets
	// as it may.
	codeTooManyPasswords = "TooManyAppPasswords"
)

// checkPasswordLimit refuses another client secret for an application that admits personal
// accounts and already holds two.
func checkPasswordLimit(a *directory.Application) *odata.Error {
	if personalAudience(a.SignInAudience) && len(a.PasswordCredentials) >= maxPersonalAccountSecrets {
		return &odata.Error{Status: http.StatusBadRequest, Code: codeTooManyPasswords,
			Message: fmt.Sprintf("Applications that support personal Microsoft accounts can have at most %d password credentials.", maxPersonalAccountSecrets)}
	}
	return nil
}

// checkCollectionLimit refuses a change that leaves the application with more than
// maxCollectionItems items across its collection properties; adding counts what is added.
func checkCollectionLimit(a *directory.Application, adding int) *odata.Error {
	if n := collectionItems(a) + adding; n > maxCollectionItems {
		return odata.BadRequest("The application would hold %d items across its collection properties; the limit is %d. Remove credentials, redirect URIs or other entries first.", n, maxCollectionItems)
	}
	return nil
}

// collectionItems counts the entries of an application's collection properties.
func collectionItems(a *directory.Application) int {
	n := len(a.PasswordCredentials) + len(a.KeyCredentials) + len(a.FederatedIdentityCredentials) +
		len(a.Web.RedirectURIs) + len(a.Spa.RedirectURIs) + len(a.PublicClient.RedirectURIs) +
		len(a.IdentifierURIs) + len(a.AppRoles) + len(a.API.OAuth2PermissionScopes) +
		len(a.API.PreAuthorizedApplications) + len(a.Tags)
	for _, rra := range a.RequiredResourceAccess {
		n += len(rra.ResourceAccess)
	}
	return n
}
