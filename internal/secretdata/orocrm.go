package secretdata

import (
	"fmt"
	"slices"
)

// The keys of the OroCRM format: the settings of Oro's Microsoft 365 integration (System
// Configuration → Integrations → Microsoft Settings), which Oro keeps in its system configuration
// rather than reading them from the environment. A setup Job can copy them in with
// `bin/console oro:config:update` (the key each maps to is named below); the client secret is kept
// encrypted by Oro's settings form, so enter that one through the form or Oro's own encryption.
const (
	// OroCRMClientID is oro_microsoft_integration.client_id, the application (client) ID.
	OroCRMClientID = "ORO_MICROSOFT_CLIENT_ID"
	// OroCRMClientSecret is oro_microsoft_integration.client_secret: the client secret's value,
	// not its ID, as the guide insists.
	OroCRMClientSecret = "ORO_MICROSOFT_CLIENT_SECRET"
	// OroCRMTenant is oro_microsoft_integration.tenant, the directory (tenant) ID.
	OroCRMTenant = "ORO_MICROSOFT_TENANT"
	// OroCRMMailScopes are the scopes Oro's mailbox synchronization requests from Exchange Online,
	// in Oro's order: offline_access when declared, so Oro keeps a refresh token, then the mail
	// protocol permissions the spec declares (IMAP.AccessAsUser.All, POP.AccessAsUser.All,
	// SMTP.Send) as https://outlook.office.com/<permission>. Present when the spec declares a mail
	// protocol permission.
	OroCRMMailScopes = "ORO_MICROSOFT_MAIL_SCOPES"
	// OroCRMRedirectURIs are the web redirect URIs registered for Oro, space separated: the
	// Redirect URI Oro's Microsoft settings page shows (its mailbox connection,
	// /microsoft-identity/connection/access-token) must be one of them.
	OroCRMRedirectURIs = "ORO_MICROSOFT_REDIRECT_URIS"
)

// mailProtocolPermissions are Exchange Online's delegated permissions for the mail protocols, in
// the order Oro's scopes list them.
var mailProtocolPermissions = []string{"IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"}

// offlineAccess is the OpenID Connect scope that makes the token endpoint issue refresh tokens.
const offlineAccess = "offline_access"

// oroCRM is OroCRM's Microsoft 365 OAuth integration (seeds/001, 002: client ID, tenant ID, the
// client secret value, delegated permissions for profile and the mail protocols, admin consent, the
// redirect URI Oro shows).
var oroCRM = layout{
	keys:         []string{OroCRMClientID, OroCRMClientSecret, OroCRMTenant, OroCRMMailScopes, OroCRMRedirectURIs},
	clientSecret: OroCRMClientSecret,
	render: func(in Input, v Values) (map[string]string, error) {
		scopes, err := outlookScopes(in, mailProtocolPermissions, FormatOroCRM)
		if err != nil {
			return nil, err
		}
		return without(withClientSecret(map[string]string{
			OroCRMClientID:     v.ClientID,
			OroCRMTenant:       v.TenantID,
			OroCRMMailScopes:   spaced(scopes),
			OroCRMRedirectURIs: spaced(v.RedirectURIs),
		}, OroCRMClientSecret, v)), nil
	},
}

// outlookScopes are offline_access when declared, then the Exchange Online scopes for those of
// permissions the spec declares; nil when it declares none of permissions.
func outlookScopes(in Input, permissions []string, f Format) ([]string, error) {
	var out []string
	for _, p := range permissions {
		if !slices.Contains(in.DelegatedPermissions, p) {
			continue
		}
		scope := in.Cloud.OutlookScope(p)
		if scope == "" {
			return nil, &Error{Reason: fmt.Sprintf("the %s format needs Exchange Online's resource, which the operator knows only in the public cloud (not %s); "+
				"use the Generic format and write the keys with spec.secret.templates instead", f, in.Cloud.Name)}
		}
		out = append(out, scope)
	}
	if len(out) > 0 && slices.Contains(in.DelegatedPermissions, offlineAccess) {
		out = append([]string{offlineAccess}, out...)
	}
	return out, nil
}
