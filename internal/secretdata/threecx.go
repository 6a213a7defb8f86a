package secretdata

// The keys of the ThreeCX format: what 3CX's Microsoft 365 integration is given (seeds/003: the
// application (client) ID, the directory (tenant) ID and a certificate whose public key is
// uploaded to the application). 3CX's console generates its own key pair and offers the public
// key as public_key.pem; here the operator generates the pair, registers the certificate and
// hands both halves over under the same file names, so it can also rotate them.
const (
	ThreeCXClientID              = "THREECX_M365_CLIENT_ID"
	ThreeCXTenantID              = "THREECX_M365_TENANT_ID"
	ThreeCXCertificateThumbprint = "THREECX_M365_CERTIFICATE_THUMBPRINT"
	// ThreeCXCertificate is the certificate (chain, leaf first) in PEM: the file the guide uploads.
	ThreeCXCertificate = "public_key.pem"
	// ThreeCXPrivateKey is the certificate's private key in PEM (PKCS#8).
	ThreeCXPrivateKey = "private_key.pem"
)

// threeCX signs in to Microsoft Graph as itself with a certificate (application permissions
// User.Read.All, Calendars.Read, Contacts.Read, Mail.Send with admin consent).
var threeCX = layout{
	keys:        []string{ThreeCXClientID, ThreeCXTenantID, ThreeCXCertificateThumbprint, ThreeCXCertificate, ThreeCXPrivateKey},
	certificate: ThreeCXCertificate, privateKey: ThreeCXPrivateKey,
	render: func(_ Input, v Values) (map[string]string, error) {
		kv := withCertificate(map[string]string{
			ThreeCXClientID: v.ClientID,
			ThreeCXTenantID: v.TenantID,
		}, ThreeCXCertificate, ThreeCXPrivateKey, v)
		if v.CertificatePEM != "" {
			kv[ThreeCXCertificateThumbprint] = v.CertificateThumbprint
		}
		return kv, nil
	},
}
