package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"golang.org/x/time/rate"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
)

// Options configures a Graph client for one tenant.
type Options struct {
	// Cloud says where Graph and the authority are.
	Cloud cloud.Cloud
	// TenantID is the tenant the credential authenticates in.
	TenantID string
	// Credential gets tokens for Graph.
	Credential azcore.TokenCredential
	// Transport carries the HTTP requests (TLS settings, proxy); nil means http.DefaultTransport.
	Transport http.RoundTripper
	// WriteLimiter paces writes for the tenant, below Graph's write quotas; nil means unlimited.
	WriteLimiter *rate.Limiter
	// Observe, if set, is told of every HTTP attempt Graph answered (retries included).
	Observe func(method string, status int)
}

// SDKClient implements Client with msgraph-sdk-go.
type SDKClient struct {
	tenantID string
	sdk      *msgraphsdk.GraphServiceClient
	limiter  *rate.Limiter
	appLocks keyedMutex
	now      func() time.Time
}

var _ Client = (*SDKClient)(nil)

// NewSDKClient builds a Graph client. Tokens are sent only to the configured Graph host.
func NewSDKClient(opts Options) (*SDKClient, error) {
	if opts.Credential == nil || opts.TenantID == "" {
		return nil, errors.New("a Graph client needs a tenant ID and a credential")
	}
	graphURL, err := urlHost(opts.Cloud.GraphEndpoint)
	if err != nil {
		return nil, err
	}
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		opts.Credential, []string{opts.Cloud.GraphScope()}, []string{graphURL})
	if err != nil {
		return nil, fmt.Errorf("creating the Graph authentication provider: %w", err)
	}
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	base = replayableBodyTransport{next: base}
	if opts.Observe != nil {
		base = observingTransport{next: base, observe: opts.Observe}
	}
	clientOptions := msgraphsdk.GetDefaultClientOptions()
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, middlewares(&clientOptions)...),
		Timeout:   100 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("creating the Graph request adapter: %w", err)
	}
	adapter.SetBaseUrl(opts.Cloud.GraphBaseURL())
	return &SDKClient{
		tenantID: opts.TenantID,
		sdk:      msgraphsdk.NewGraphServiceClient(adapter),
		limiter:  opts.WriteLimiter,
		now:      time.Now,
	}, nil
}

// middlewares are the SDK's default Graph middlewares without request compression: kiota-http-go's
// retry handler resends a retried request's original, uncompressed body under the
// Content-Encoding: gzip header the compression handler left on it (microsoft/kiota-http-go#183),
// so every write retried after a 429 or 503 would fail with 400. The bodies are small; sending
// them uncompressed costs nothing that matters.
func middlewares(opts *msgraphcore.GraphClientOptions) []khttp.Middleware {
	var out []khttp.Middleware
	for _, m := range msgraphcore.GetDefaultMiddlewaresWithOptions(opts) {
		if _, compresses := m.(*khttp.CompressionHandler); !compresses {
			out = append(out, m)
		}
	}
	return out
}

// TenantID implements Client.
func (c *SDKClient) TenantID() string { return c.tenantID }

// applicationSelect is what a read of an application asks for: the managed fields and the IDs.
var applicationSelect = func() []string {
	out := make([]string, 0, 3+len(ManagedFields))
	out = append(out, "id", "appId", "uniqueName")
	for _, f := range ManagedFields {
		out = append(out, string(f))
	}
	return out
}()

// UpsertApplication implements Client with PATCH /applications(uniqueName='...') and
// Prefer: create-if-missing.
func (c *SDKClient) UpsertApplication(ctx context.Context, uniqueName string, app Application) (Application, bool, error) {
	const op = "create or update the application"
	body := toSDKApplication(app, ManagedFields)
	headers := abstractions.NewRequestHeaders()
	headers.Add("Prefer", "create-if-missing")
	var res models.Applicationable
	err := c.write(ctx, "uniqueName:"+uniqueName, func() error {
		var err error
		res, err = c.sdk.ApplicationsWithUniqueName(&uniqueName).Patch(ctx, body,
			&applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: headers})
		return err
	})
	if err != nil {
		return Application{}, false, c.wrap(op, err)
	}
	if res == nil { // 204: the application existed and was updated
		return Application{UniqueName: uniqueName}, false, nil
	}
	return fromSDKApplication(res), true, nil
}

// GetApplication implements Client.
func (c *SDKClient) GetApplication(ctx context.Context, ref ApplicationRef) (Application, error) {
	const op = "read the application"
	var (
		res models.Applicationable
		err error
	)
	if ref.ObjectID != "" {
		res, err = c.sdk.Applications().ByApplicationId(ref.ObjectID).Get(ctx,
			&applications.ApplicationItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: applicationSelect},
			})
	} else {
		res, err = c.sdk.ApplicationsWithUniqueName(&ref.UniqueName).Get(ctx,
			&applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetRequestConfiguration{
				QueryParameters: &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetQueryParameters{Select: applicationSelect},
			})
	}
	if err != nil {
		return Application{}, c.wrap(op, err)
	}
	return fromSDKApplication(res), nil
}

// UpdateApplication implements Client.
func (c *SDKClient) UpdateApplication(ctx context.Context, objectID string, app Application, fields []Field) error {
	if len(fields) == 0 {
		return nil
	}
	body := toSDKApplication(app, fields)
	err := c.write(ctx, "objectId:"+objectID, func() error {
		_, err := c.sdk.Applications().ByApplicationId(objectID).Patch(ctx, body, nil)
		return err
	})
	return c.wrap("update the application", err)
}

// DeleteApplication implements Client.
func (c *SDKClient) DeleteApplication(ctx context.Context, ref ApplicationRef) error {
	const op = "delete the application"
	if ref.ObjectID != "" {
		return c.wrap(op, c.write(ctx, "objectId:"+ref.ObjectID, func() error {
			return c.sdk.Applications().ByApplicationId(ref.ObjectID).Delete(ctx, nil)
		}))
	}
	return c.wrap(op, c.write(ctx, "uniqueName:"+ref.UniqueName, func() error {
		return c.sdk.ApplicationsWithUniqueName(&ref.UniqueName).Delete(ctx, nil)
	}))
}

// GetServicePrincipal implements Client.
func (c *SDKClient) GetServicePrincipal(ctx context.Context, appID string) (ServicePrincipal, error) {
	res, err := c.sdk.ServicePrincipalsWithAppId(&appID).Get(ctx,
		&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
				Select: []string{"id", "appId"},
			},
		})
	if err != nil {
		return ServicePrincipal{}, c.wrap("read the service principal", err)
	}
	return ServicePrincipal{ObjectID: deref(res.GetId()), AppID: deref(res.GetAppId())}, nil
}

// CreateServicePrincipal implements Client.
func (c *SDKClient) CreateServicePrincipal(ctx context.Context, appID string) (ServicePrincipal, error) {
	body := models.NewServicePrincipal()
	body.SetAppId(&appID)
	var res models.ServicePrincipalable
	err := c.write(ctx, "servicePrincipal:"+appID, func() error {
		var err error
		res, err = c.sdk.ServicePrincipals().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return ServicePrincipal{}, c.wrap("create the service principal", err)
	}
	return ServicePrincipal{ObjectID: deref(res.GetId()), AppID: deref(res.GetAppId())}, nil
}

// write paces a write with the tenant's limiter and serializes writes to one object, because Graph
// answers concurrent writes to one application with 409 Directory_ConcurrencyViolation.
func (c *SDKClient) write(ctx context.Context, key string, do func() error) error {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("waiting for the tenant's Graph write budget: %w", err)
		}
	}
	unlock := c.appLocks.lock(key)
	defer unlock()
	return do()
}

// wrap turns an SDK error into an *Error that says what was being done.
func (c *SDKClient) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	ge := &Error{Op: op, Err: err}
	var odata *odataerrors.ODataError
	var api *abstractions.ApiError
	var authFailed *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &odata):
		ge.Status = odata.ResponseStatusCode
		var details []string
		if main := odata.GetErrorEscaped(); main != nil {
			ge.Code, ge.Message = deref(main.GetCode()), deref(main.GetMessage())
			for _, d := range main.GetDetails() {
				details = append(details, deref(d.GetCode()))
			}
		}
		ge.RetryAfter = retryAfterHeader(odata.GetResponseHeaders(), c.now())
		ge.Kind = kindFor(ge.Status, ge.Code, ge.Message, details...)
	case errors.As(err, &api):
		ge.Status = api.ResponseStatusCode
		ge.Message = api.Message
		ge.RetryAfter = retryAfterHeader(api.GetResponseHeaders(), c.now())
		ge.Kind = kindFor(ge.Status, "", ge.Message)
	case errors.As(err, &authFailed):
		ge.Kind = KindAuthentication
		ge.Message = authFailed.Error()
		if authFailed.RawResponse != nil {
			ge.Status = authFailed.RawResponse.StatusCode
		}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		ge.Kind = KindUnavailable
		ge.Message = err.Error()
	default:
		ge.Kind = KindUnavailable
		ge.Message = err.Error()
	}
	return ge
}

func retryAfterHeader(h *abstractions.ResponseHeaders, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	for _, v := range h.Get("Retry-After") {
		if d := parseRetryAfter(v, now); d > 0 {
			return d
		}
	}
	return 0
}

// replayableBodyTransport hands the network a private copy of each request body. Kiota's retry handler
// rewinds the body it owns before a retry, but net/http may still be reading that same reader for the
// attempt Graph already answered (a 429 or 503 can arrive before the body is sent), so the retry went
// out empty and Graph refused it with 400. Reading the body here, synchronously, ends that race.
type replayableBodyTransport struct{ next http.RoundTripper }

func (t replayableBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return t.next.RoundTrip(out)
}

// observingTransport reports every HTTP attempt, below the SDK's retry handler, so that metrics and
// tests count what Graph really received.
type observingTransport struct {
	next    http.RoundTripper
	observe func(method string, status int)
}

func (t observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	t.observe(req.Method, status)
	return res, err
}
