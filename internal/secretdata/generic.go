package secretdata

// The keys of the Generic format. The AZURE_* names are the ones azidentity's
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

// The credential keys of the Generic format, present when the AppRegistration declares the
// credential.
const (
	// KeyClientSecret is the client secret, under the name azidentity's EnvironmentCredential reads.
	KeyClientSecret = "AZURE_CLIENT_SECRET"
	// KeyTLSCert and KeyTLSKey are the certificate (chain, leaf first) and its private key in PEM,
	// the keys of a kubernetes.io/tls Secret.
	KeyTLSCert = "tls.crt"
	KeyTLSKey  = "tls.key"
	// KeyCombinedPEM is the private key and the certificate in one PEM file, cert-manager's
	// tls-combined.pem: what AZURE_CLIENT_CERTIFICATE_PATH must point at (mount the Secret as a
	// volume and set AZURE_CLIENT_CERTIFICATE_PATH=/mount/path/tls-combined.pem).
	KeyCombinedPEM = "tls-combined.pem"
	// KeyCertificateThumbprint is the certificate's SHA-1 thumbprint, as the Azure portal shows it.
	KeyCertificateThumbprint = "AZURE_CLIENT_CERTIFICATE_THUMBPRINT"
)

// generic is the default format: any workload using azidentity, or any OIDC library given the
// discovery URL or the endpoints.
var generic = layout{
	keys: []string{KeyTenantID, KeyClientID, KeyAuthorityHost, KeyIssuer, KeyDiscoveryURL, KeyAuthorizationEndpoint,
		KeyTokenEndpoint, KeyJWKSURI, KeyEndSessionEndpoint, KeyUserinfoEndpoint, KeyDeviceAuthorizationEndpoint,
		KeyClientSecret, KeyTLSCert, KeyTLSKey, KeyCombinedPEM, KeyCertificateThumbprint},
	clientSecret: KeyClientSecret, certificate: KeyTLSCert, privateKey: KeyTLSKey,
	render: func(_ Input, v Values) (map[string]string, error) {
		kv := map[string]string{
			KeyTenantID:                    v.TenantID,
			KeyClientID:                    v.ClientID,
			KeyAuthorityHost:               v.AuthorityHost,
			KeyIssuer:                      v.Issuer,
			KeyDiscoveryURL:                v.DiscoveryURL,
			KeyAuthorizationEndpoint:       v.AuthorizationEndpoint,
			KeyTokenEndpoint:               v.TokenEndpoint,
			KeyJWKSURI:                     v.JWKSURI,
			KeyEndSessionEndpoint:          v.EndSessionEndpoint,
			KeyUserinfoEndpoint:            v.UserinfoEndpoint,
			KeyDeviceAuthorizationEndpoint: v.DeviceAuthorizationEndpoint,
		}
		withClientSecret(kv, KeyClientSecret, v)
		withCertificate(kv, KeyTLSCert, KeyTLSKey, v)
		if v.CertificatePEM != "" {
			kv[KeyCombinedPEM], kv[KeyCertificateThumbprint] = v.CombinedPEM, v.CertificateThumbprint
		}
		return kv, nil
	},
}
