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

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
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
	if tokenTimeout <= 0 {
		tokenTimeout = DefaultTokenTimeout
	}
	if transport == nil {
		transport = http.DefaultTransport
	}
	clientOptions := azcore.ClientOptions{
		Cloud:     azcloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost},
		Transport: &http.Client{Transport: transport, Timeout: tokenTimeout},
		// A failed token request is reported and the object requeued with backoff; retrying inside
		// the request would only stretch the wait past the timeout users configured.
		Retry: policy.RetryOptions{MaxRetries: -1},
	}
	// Instance discovery asks login.microsoftonline.com about the authority; a known national cloud
	// does not need it and a private authority (the emulator) cannot answer it.
	disableDiscovery := true
	var cred azcore.TokenCredential
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		wi, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            clientOptions,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, "", fmt.Errorf("workload identity credential: %w", err)
		}
		cred = wi
	} else {
		env, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
			ClientOptions:            clientOptions,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, "", fmt.Errorf("credential from AZURE_* environment variables: %w", err)
		}
		cred = env
	}
	return NewBoundedCredential(cred, tokenTimeout), tenantID, nil
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
