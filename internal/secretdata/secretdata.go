// Package secretdata renders the keys of the Kubernetes Secret a workload reads its Entra ID client
// configuration from. It is the one place that knows the Secret's layout.
package secretdata

import "github.com/entra-sso-operator/entra-sso-operator/internal/cloud"

// The keys of the Generic layout. The AZURE_* names are the ones azidentity's
// DefaultAzureCredential and EnvironmentCredential read, so `envFrom` a Secret just works.
const (
	KeyTenantID                    = "AZURE_TENANT_ID"
	KeyClientID                    = "AZURE_CLIENT_ID"
	KeyAuthorityHost               = "AZURE_AUTHORITY_HOST"
	KeyIssuer                      = "OIDC_ISSUER"
	KeyDiscoveryURL                = "OIDC_DISCOVERY_URL"
	KeyAuthorizationEndpoint       = "OIDC_AUTHORIZATION_ENDPOINT"
	KeyTokenEndpoint               = "OIDC_TOKEN_ENDPOINT"
	KeyJWKSURI                     = "OIDC_JWKS_URI"
	KeyEndSessionEndpoint          = "OIDC_END_SESSION_ENDPOINT"
	KeyUserinfoEndpoint            = "OIDC_USERINFO_ENDPOINT"
	KeyDeviceAuthorizationEndpoint = "OIDC_DEVICE_AUTHORIZATION_ENDPOINT"
)

// Input is what the Secret is rendered from.
type Input struct {
	TenantID string
	ClientID string
	Cloud    cloud.Cloud
}

// Render returns the Secret's data in the Generic layout.
func Render(in Input) map[string][]byte {
	ep := in.Cloud.Endpoints(in.TenantID)
	values := map[string]string{
		KeyTenantID:                    in.TenantID,
		KeyClientID:                    in.ClientID,
		KeyAuthorityHost:               in.Cloud.AuthorityHost,
		KeyIssuer:                      ep.Issuer,
		KeyDiscoveryURL:                ep.DiscoveryURL,
		KeyAuthorizationEndpoint:       ep.AuthorizationEndpoint,
		KeyTokenEndpoint:               ep.TokenEndpoint,
		KeyJWKSURI:                     ep.JWKSURI,
		KeyEndSessionEndpoint:          ep.EndSessionEndpoint,
		KeyUserinfoEndpoint:            ep.UserinfoEndpoint,
		KeyDeviceAuthorizationEndpoint: ep.DeviceAuthorizationEndpoint,
	}
	data := make(map[string][]byte, len(values))
	for k, v := range values {
		data[k] = []byte(v)
	}
	return data
}
