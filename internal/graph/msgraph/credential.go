package msgraph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"golang.org/x/time/rate"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// DefaultTokenTimeout bounds one token request when none is configured.
const DefaultTokenTimeout = 30 * time.Second

// NewCredentialFromEnvironment authenticates the operator the way Azure workloads usually are:
// workload identity when AZURE_FEDERATED_TOKEN_FILE is set (AKS, or any federated token file),
// otherwise AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH; AZURE_TENANT_ID and
// AZURE_CLIENT_ID always. It returns the tenant ID the operator works in. Every token request is
// bounded by tokenTimeout (0 means DefaultTokenTimeout), so a silent authority cannot hold a reconcile.
func NewCredentialFromEnvironment(c cloud.Cloud, transport http.RoundTripper, tokenTimeout time.Duration) (azcore.TokenCredential, string, error) {
	tenantID := os.Getenv("AZURE_TENANT_ID")
	if tenantID == "" {
		return nil, "", errors.New("AZURE_TENANT_ID is not set: the operator needs the tenant, client ID and a credential " +
			"(AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE) in its environment")
	}
	clientOptions, tokenTimeout := credentialOptions(c, transport, tokenTimeout)
	var cred azcore.TokenCredential
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		wi, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            clientOptions,
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			return nil, "", fmt.Errorf("workload identity credential: %w", err)
		}
		cred = wi
	} else {
		env, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
			ClientOptions:            clientOptions,
			DisableInstanceDiscovery: true,
		})
		if err != nil {
			return nil, "", fmt.Errorf("credential from AZURE_* environment variables: %w", err)
		}
		cred = env
	}
	return NewBoundedCredential(cred, tokenTimeout), tenantID, nil
}

// credentialOptions are the azidentity options every operator credential shares: the cloud's
// authority, the transport (CA bundle), a bounded HTTP client and no retries inside a token request.
func credentialOptions(c cloud.Cloud, transport http.RoundTripper, tokenTimeout time.Duration) (azcore.ClientOptions, time.Duration) {
	if tokenTimeout <= 0 {
		tokenTimeout = DefaultTokenTimeout
	}
	if transport == nil {
		transport = http.DefaultTransport
	}
	return azcore.ClientOptions{
		Cloud:     azcloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost},
		Transport: &http.Client{Transport: transport, Timeout: tokenTimeout},
		// A failed token request is reported and the object requeued with backoff; retrying inside
		// the request would only stretch the wait past the timeout users configured.
		Retry: policy.RetryOptions{MaxRetries: -1},
	}, tokenTimeout
}

// NewCredential builds the bounded credential for id. Instance discovery is off: a known national
// cloud does not need it and a private authority cannot answer it.
func NewCredential(c cloud.Cloud, transport http.RoundTripper, tokenTimeout time.Duration, id graph.Identity) (azcore.TokenCredential, error) {
	clientOptions, tokenTimeout := credentialOptions(c, transport, tokenTimeout)
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch {
	case id.ClientSecret != "":
		cred, err = azidentity.NewClientSecretCredential(id.TenantID, id.ClientID, id.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: true})
	case len(id.Certificate) > 0:
		certs, key, perr := azidentity.ParseCertificates(append(append([]byte{}, id.Certificate...), id.Key...), nil)
		if perr != nil {
			return nil, fmt.Errorf("reading the certificate and its key: %w", perr)
		}
		cred, err = azidentity.NewClientCertificateCredential(id.TenantID, id.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: true, SendCertificateChain: true})
	case id.TokenFile != "":
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: clientOptions, TenantID: id.TenantID, ClientID: id.ClientID, TokenFilePath: id.TokenFile,
			DisableInstanceDiscovery: true,
		})
	default:
		return nil, errors.New("no credential: give a client secret, a certificate with its key, or a federated token file")
	}
	if err != nil {
		return nil, fmt.Errorf("building the credential for client %s: %w", id.ClientID, err)
	}
	return NewBoundedCredential(cred, tokenTimeout), nil
}

// NewBoundedCredential bounds every token request of cred by timeout and marks its failures, so the
// Graph client reports them as authentication failures rather than as Graph being down.
func NewBoundedCredential(cred azcore.TokenCredential, timeout time.Duration) azcore.TokenCredential {
	if timeout <= 0 {
		timeout = DefaultTokenTimeout
	}
	return boundedCredential{cred: cred, timeout: timeout}
}

type boundedCredential struct {
	cred    azcore.TokenCredential
	timeout time.Duration
}

func (b boundedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	tok, err := b.cred.GetToken(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("the authority did not answer within %s: %w", b.timeout, err)
		}
		return tok, &tokenError{err: err}
	}
	return tok, nil
}

// tokenError marks a failure to get a token for Graph. Its text can hold the token endpoint's whole
// answer (AADSTS codes, trace IDs, the operator's client ID): fit for the log, not for status.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// Connector returns how tenants.Registry builds a tenant's Graph client: a bounded credential for
// the connection's identity and a client sharing the tenant's write budget, over transport.
func Connector(transport http.RoundTripper, tokenTimeout, requestTimeout time.Duration,
	observe func(method string, status int)) func(cloud.Cloud, graph.Identity, *rate.Limiter) (graph.Client, error) {
	return func(c cloud.Cloud, id graph.Identity, writes *rate.Limiter) (graph.Client, error) {
		cred, err := NewCredential(c, transport, tokenTimeout, id)
		if err != nil {
			return nil, err
		}
		return New(Options{
			Cloud: c, TenantID: id.TenantID, Credential: cred, Transport: transport,
			WriteLimiter: writes, RequestTimeout: requestTimeout, Observe: observe,
		})
	}
}
