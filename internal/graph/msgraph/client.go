// Package msgraph implements the graph interfaces with msgraph-sdk-go. It is the only package outside
// tests that imports msgraph-sdk-go or kiota: transport, authentication, the tenant's request gate
// (write pacing, per-application serialization, Graph's Retry-After), then one file per Graph concept.
package msgraph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"golang.org/x/time/rate"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Graph property names several requests select.
const (
	propID    = "id"
	propAppID = "appId"
)

// DefaultRequestTimeout bounds one Graph request, retries included, when Options leave it unset.
const DefaultRequestTimeout = 30 * time.Second

const (
	// maxInlineRetryDelay is the longest Retry-After of a 503/504 the client sleeps out inside a
	// request. Anything longer ends the request, so the reconcile frees its worker and requeues.
	maxInlineRetryDelay = 2 * time.Second
	// maxInlineRetries bounds retries of 503/504 inside one request.
	maxInlineRetries = 2
	// maxWriteQueueWait is the longest a write waits for the tenant's write budget before the
	// reconcile gives its worker back and requeues instead.
	maxWriteQueueWait = 5 * time.Second
	// defaultThrottlePause is how long the tenant pauses after a 429 without Retry-After.
	defaultThrottlePause = 5 * time.Second
)

// Options configures a Graph client for one tenant.
type Options struct {
	// Cloud says where Graph and the authority are.
	Cloud cloud.Cloud
	// TenantID is the tenant the credential authenticates in.
	TenantID string
	// Credential gets tokens for Graph. Wrap it with NewBoundedCredential so a silent authority
	// cannot hold a reconcile.
	Credential azcore.TokenCredential
	// Transport carries the HTTP requests (TLS settings, proxy); nil means http.DefaultTransport.
	Transport http.RoundTripper
	// WriteLimiter paces writes for the tenant, below Graph's write quotas; nil means unlimited.
	WriteLimiter *rate.Limiter
	// RequestTimeout bounds one Graph request including its retries; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Observe, if set, is told of every HTTP attempt Graph answered (retries included).
	Observe func(method string, status int)
	// Clock is the time source for Retry-After; nil means time.Now.
	Clock func() time.Time
	// OnWrite, if set, is told after every write to an application (by its unique name, with the
	// write's context), whatever its outcome, so a cache of applications can drop what the write
	// may have changed.
	OnWrite func(ctx context.Context, uniqueName string)
}

// Client implements graph.Client with msgraph-sdk-go.
type Client struct {
	tenantID string
	sdk      graphAPI
	limiter  *rate.Limiter
	appLocks keyedMutex
	now      func() time.Time
	onWrite  func(ctx context.Context, uniqueName string)

	// pausedUntil is when Graph's last Retry-After for this tenant runs out. Until then the client
	// sends nothing and answers at once with a throttled error carrying the remaining wait, so no
	// worker sleeps and no request spends the tenant's quota in vain.
	mu          sync.Mutex
	pausedUntil time.Time
}

var _ graph.Client = (*Client)(nil)

// New builds a Graph client. Tokens are sent only to the configured Graph host.
func New(opts Options) (*Client, error) {
	return newClient(opts, func(a abstractions.RequestAdapter) graphAPI { return newGraphSDK(a) })
}

// newClient builds a Graph client whose requests api builds on the client's adapter.
func newClient(opts Options, api func(abstractions.RequestAdapter) graphAPI) (*Client, error) {
	if opts.Credential == nil || opts.TenantID == "" {
		return nil, errors.New("a Graph client needs a tenant ID and a credential")
	}
	graphHost, err := urlHost(opts.Cloud.GraphEndpoint)
	if err != nil {
		return nil, err
	}
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		opts.Credential, []string{opts.Cloud.GraphScope()}, []string{graphHost})
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
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	options := defaultClientOptions()
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, middlewares(&options)...),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, options, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("creating the Graph request adapter: %w", err)
	}
	adapter.SetBaseUrl(opts.Cloud.GraphBaseURL())
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	return &Client{
		tenantID: opts.TenantID,
		sdk:      api(adapter),
		limiter:  opts.WriteLimiter,
		now:      now,
		onWrite:  opts.OnWrite,
	}, nil
}

// middlewares are the SDK's default Graph middlewares with two changes.
//
// No request compression: kiota-http-go's retry handler resends a retried request's original,
// uncompressed body under the Content-Encoding: gzip header the compression handler left on it
// (microsoft/kiota-http-go#183), so every write retried after a 503 would fail with 400. The bodies
// are small; sending them uncompressed costs nothing that matters.
//
// A bounded retry handler: kiota would sleep out any Retry-After (up to three minutes) inside the
// request, holding a reconcile worker and hiding the throttling from the operator's own pacing. Here
// a 429 is never retried inline — it ends the request, pauses the tenant and requeues the object at
// Retry-After — and a 503/504 is retried at most twice, only when Graph asks for a short wait.
func middlewares(opts *msgraphcore.GraphClientOptions) []khttp.Middleware {
	var out []khttp.Middleware
	for _, m := range msgraphcore.GetDefaultMiddlewaresWithOptions(opts) {
		switch m.(type) {
		case *khttp.CompressionHandler:
		case *khttp.RetryHandler:
			out = append(out, khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
				ShouldRetry:  shouldRetryInline,
				MaxRetries:   maxInlineRetries,
				DelaySeconds: 1,
			}))
		default:
			out = append(out, m)
		}
	}
	return out
}

// shouldRetryInline says whether kiota may retry a 503/504 inside the request: only when Graph asked
// for a short wait (or none), so a request never outlives its worker's fair share.
func shouldRetryInline(_ time.Duration, _ int, _ *http.Request, res *http.Response) bool {
	if res == nil || res.StatusCode == http.StatusTooManyRequests {
		return false
	}
	return graph.ParseRetryAfter(res.Header.Get("Retry-After"), time.Now()) <= maxInlineRetryDelay
}

// TenantID implements graph.Client.
func (c *Client) TenantID() string { return c.tenantID }

// operation describes one kind of Graph call: what the operator was doing (for messages) and the
// least Graph permission it needs (named when Graph answers 403).
type operation struct {
	name       string
	permission string
}

// read sends one read for op through the tenant's gate.
func (c *Client) read(op operation, do func() error) error {
	if err := c.gate(op); err != nil {
		return err
	}
	return c.wrap(op, do())
}

// write sends one write for op: through the tenant's gate, paced by the tenant's write limiter, and
// serialized per application (key, the application's unique name), because Graph answers concurrent
// writes to one application with 409 Directory_ConcurrencyViolation.
func (c *Client) write(ctx context.Context, op operation, key string, do func() error) error {
	if err := c.gate(op); err != nil {
		return err
	}
	if c.limiter != nil {
		if err := c.waitForWriteBudget(ctx, op); err != nil {
			return err
		}
	}
	unlock := c.appLocks.lock(key)
	defer unlock()
	if c.onWrite != nil {
		defer c.onWrite(ctx, key)
	}
	return c.wrap(op, do())
}

// gate refuses to send while Graph's Retry-After for the tenant runs.
func (c *Client) gate(op operation) error {
	c.mu.Lock()
	wait := c.pausedUntil.Sub(c.now())
	c.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return &graph.Error{Op: op.name, Permission: op.permission, Kind: graph.KindThrottled,
		RetryAfter: wait, Message: "Microsoft Graph throttled this tenant; the operator waits out its Retry-After before sending more"}
}

// waitForWriteBudget takes one write from the tenant's limiter, waiting only briefly: when the queue
// of writes is longer than maxWriteQueueWait, the reconcile requeues instead of holding its worker.
func (c *Client) waitForWriteBudget(ctx context.Context, op operation) error {
	r := c.limiter.Reserve()
	if !r.OK() {
		return fmt.Errorf("%s: the tenant's write limiter allows no writes", op.name)
	}
	delay := r.Delay()
	if delay > maxWriteQueueWait {
		r.Cancel()
		return &graph.Error{Op: op.name, Permission: op.permission, Kind: graph.KindThrottled, RetryAfter: delay,
			Message: "the operator's write budget for this tenant (--graph-write-qps) is spent for now"}
	}
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return c.wrap(op, ctx.Err())
	}
}

// pause holds the tenant's requests back until Graph's Retry-After has passed.
func (c *Client) pause(d time.Duration) {
	if d <= 0 {
		d = defaultThrottlePause
	}
	until := c.now().Add(d)
	c.mu.Lock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.mu.Unlock()
}

// wrap turns an SDK error into a *graph.Error that says what was being done.
func (c *Client) wrap(op operation, err error) error {
	if err == nil {
		return nil
	}
	ge := &graph.Error{Op: op.name, Permission: op.permission, Err: err}
	var (
		odata      *odataerrors.ODataError
		api        *abstractions.ApiError
		token      *tokenError
		authFailed *azidentity.AuthenticationFailedError
	)
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
		ge.Kind = graph.Classify(ge.Status, ge.Code, ge.Message, details...)
	case errors.As(err, &api):
		ge.Status = api.ResponseStatusCode
		ge.Message = api.Message
		ge.RetryAfter = retryAfterHeader(api.GetResponseHeaders(), c.now())
		ge.Kind = graph.Classify(ge.Status, "", ge.Message)
	case errors.As(err, &token):
		ge.Kind = graph.KindAuthentication
		ge.Message = token.Error()
		ge.Code = graph.TokenErrorCode(token.Error())
		if errors.As(err, &authFailed) && authFailed.RawResponse != nil {
			ge.Status = authFailed.RawResponse.StatusCode
		}
	case errors.As(err, &authFailed):
		ge.Kind = graph.KindAuthentication
		ge.Message = authFailed.Error()
		ge.Code = graph.TokenErrorCode(authFailed.Error())
		if authFailed.RawResponse != nil {
			ge.Status = authFailed.RawResponse.StatusCode
		}
	default:
		// Transport failures, timeouts and cancellations: Graph did not answer.
		ge.Kind = graph.KindUnavailable
		ge.Message = err.Error()
	}
	if ge.Kind == graph.KindThrottled {
		c.pause(ge.RetryAfter)
		if ge.RetryAfter <= 0 {
			ge.RetryAfter = defaultThrottlePause
		}
	}
	return ge
}

func retryAfterHeader(h *abstractions.ResponseHeaders, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	for _, v := range h.Get("Retry-After") {
		if d := graph.ParseRetryAfter(v, now); d > 0 {
			return d
		}
	}
	return 0
}

// errEmptyResponse is what a read that Graph answered without a body becomes: kiota returns nil, nil
// for a 200 with no content, which no caller can use.
func errEmptyResponse(op operation) error {
	return &graph.Error{Op: op.name, Permission: op.permission, Status: http.StatusOK, Kind: graph.KindUnavailable,
		Message: "Microsoft Graph answered without a body"}
}
