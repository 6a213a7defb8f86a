package secretdata

// The keys of the EspoCRM format: environment variables the official EspoCRM image
// (espocrm/espocrm-docker) applies to its configuration at every container start. Its entrypoint
// takes every variable named ESPOCRM_CONFIG_<NAME>, drops the prefix, lowercases the rest and turns
// each "_x" into "X" (ESPOCRM_CONFIG_OIDC_CLIENT_ID → oidcClientId), turns the values true, false,
// null and numbers into those types, and saves the result with EspoCRM's ConfigWriter. The
// configuration keys are the ones EspoCRM's OIDC sign-in reads
// (application/Espo/Core/Authentication/Oidc/ConfigDataProvider.php).
//
// oidcScopes is left alone: EspoCRM reads it as a list, and the entrypoint can write only single
// values, so ESPOCRM_CONFIG_OIDC_SCOPES would store a string where EspoCRM expects an array. Its
// default (profile, email, phone) already includes email, which the username claim needs.
const (
	// EspoCRMAuthenticationMethod is authenticationMethod: Oidc turns on OIDC sign-in (the guide's
	// "change the Authentication Method to OIDC").
	EspoCRMAuthenticationMethod = "ESPOCRM_CONFIG_AUTHENTICATION_METHOD"
	// EspoCRMClientID is oidcClientId, the application (client) ID.
	EspoCRMClientID = "ESPOCRM_CONFIG_OIDC_CLIENT_ID"
	// EspoCRMClientSecret is oidcClientSecret, the client secret's value.
	EspoCRMClientSecret = "ESPOCRM_CONFIG_OIDC_CLIENT_SECRET"
	// EspoCRMAuthorizationEndpoint is oidcAuthorizationEndpoint, the OAuth 2.0 authorization endpoint (v2).
	EspoCRMAuthorizationEndpoint = "ESPOCRM_CONFIG_OIDC_AUTHORIZATION_ENDPOINT"
	// EspoCRMTokenEndpoint is oidcTokenEndpoint, the OAuth 2.0 token endpoint (v2).
	EspoCRMTokenEndpoint = "ESPOCRM_CONFIG_OIDC_TOKEN_ENDPOINT"
	// EspoCRMJWKSEndpoint is oidcJwksEndpoint, the jwks_uri of the tenant's discovery document.
	EspoCRMJWKSEndpoint = "ESPOCRM_CONFIG_OIDC_JWKS_ENDPOINT"
	// EspoCRMLogoutURL is oidcLogoutUrl, the end_session_endpoint of the discovery document.
	EspoCRMLogoutURL = "ESPOCRM_CONFIG_OIDC_LOGOUT_URL"
	// EspoCRMUsernameClaim is oidcUsernameClaim: email, so EspoCRM users are matched by their
	// Microsoft address.
	EspoCRMUsernameClaim = "ESPOCRM_CONFIG_OIDC_USERNAME_CLAIM"
	// EspoCRMCreateUser is oidcCreateUser: true creates an EspoCRM user on first sign-in.
	EspoCRMCreateUser = "ESPOCRM_CONFIG_OIDC_CREATE_USER"
)

// The values the EspoCRM format sets, as the setup guide says.
const (
	espoCRMMethodOIDC    = "Oidc" // Espo\Core\Authentication\Oidc\Login::NAME
	espoCRMUsernameClaim = "email"
)

// espoCRM is EspoCRM's OIDC sign-in (seeds/000: register the app, a web redirect URI
// {siteUrl}/oauth-callback.php, a client secret, the endpoints, username claim email, create user).
// EspoCRM computes its redirect URI from its own siteUrl, so it is not in the Secret.
var espoCRM = layout{
	keys: []string{EspoCRMAuthenticationMethod, EspoCRMClientID, EspoCRMClientSecret, EspoCRMAuthorizationEndpoint,
		EspoCRMTokenEndpoint, EspoCRMJWKSEndpoint, EspoCRMLogoutURL, EspoCRMUsernameClaim, EspoCRMCreateUser},
	clientSecret: EspoCRMClientSecret,
	render: func(_ Input, v Values) (map[string]string, error) {
		return withClientSecret(map[string]string{
			EspoCRMAuthenticationMethod:  espoCRMMethodOIDC,
			EspoCRMClientID:              v.ClientID,
			EspoCRMAuthorizationEndpoint: v.AuthorizationEndpoint,
			EspoCRMTokenEndpoint:         v.TokenEndpoint,
			EspoCRMJWKSEndpoint:          v.JWKSURI,
			EspoCRMLogoutURL:             v.EndSessionEndpoint,
			EspoCRMUsernameClaim:         espoCRMUsernameClaim,
			EspoCRMCreateUser:            "true",
		}, EspoCRMClientSecret, v), nil
	},
}
