package graph

// Identity is how the operator signs in to one tenant, as an EntraConnection declares it. Exactly
// one of ClientSecret, Certificate+Key and TokenFile is set.
type Identity struct {
	TenantID string
	ClientID string
	// ClientSecret is a client secret of the application.
	ClientSecret string
	// Certificate and Key are PEM: a certificate of the application and its private key.
	Certificate, Key []byte
	// TokenFile is a federated (workload identity) token file.
	TokenFile string
}
