package graph

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

// NewTransport returns an HTTP transport that trusts the system roots plus the PEM certificates in
// caBundle (for the Entra emulator or a TLS-inspecting proxy). An empty caBundle changes nothing.
func NewTransport(caBundle []byte) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if len(caBundle) == 0 {
		return t, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caBundle) {
		return nil, errors.New("the CA bundle holds no PEM certificate")
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// NewCredentialFromEnvironment authenticates the operator the way Azure workloads usually are:
// workload identity when AZURE_FEDERATED_TOKEN_FILE is set (AKS, or any federated token file),
// otherwise AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH; AZURE_TENANT_ID and
// AZURE_CLIENT_ID always. It returns the tenant ID the operator works in.
func NewCredentialFromEnvironment(c cloud.Cloud, transport http.RoundTripper) (azcore.TokenCredential, string, error) {
	tenantID := os.Getenv("AZURE_TENANT_ID")
	if tenantID == "" {
		return nil, "", errors.New("AZURE_TENANT_ID is not set: the operator needs the tenant, client ID and a credential " +
			"(AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE) in its environment")
	}
	clientOptions := azcore.ClientOptions{
		Cloud: azcloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost},
	}
	if transport != nil {
		clientOptions.Transport = &http.Client{Transport: transport}
	}
	// Instance discovery asks login.microsoftonline.com about the authority; a known national cloud
	// does not need it and a private authority (the emulator) cannot answer it.
	disableDiscovery := true
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            clientOptions,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, "", fmt.Errorf("workload identity credential: %w", err)
		}
		return cred, tenantID, nil
	}
	cred, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
		ClientOptions:            clientOptions,
		DisableInstanceDiscovery: disableDiscovery,
	})
	if err != nil {
		return nil, "", fmt.Errorf("credential from AZURE_* environment variables: %w", err)
	}
	return cred, tenantID, nil
}
