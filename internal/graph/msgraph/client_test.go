package msgraph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// graphStub answers every request with the handler's status, headers and body and counts them.
func graphStub(t *testing.T, answer func(w http.ResponseWriter)) (*Client, *atomic.Int64, *fakeClock) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		answer(w)
	}))
	t.Cleanup(srv.Close)
	c, err := cloud.Public.WithOverrides("", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	client, err := New(Options{Cloud: c, TenantID: "tenant", Credential: staticToken{},
		Transport: srv.Client().Transport, Clock: clock.Now, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return client, &hits, clock
}

func odataError(w http.ResponseWriter, status int, code string, headers map[string]string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":{"code":"` + code + `","message":"m"}}`))
}

// TestA429PausesTheTenantInsteadOfAWorker: a 429 ends the request at once with Graph's Retry-After,
// and until it has passed the client sends nothing more for the tenant.
func TestA429PausesTheTenantInsteadOfAWorker(t *testing.T) {
	client, hits, clock := graphStub(t, func(w http.ResponseWriter) {
		odataError(w, http.StatusTooManyRequests, "TooManyRequests", map[string]string{"Retry-After": "30"})
	})
	ctx := context.Background()
	start := time.Now()
	_, err := client.GetApplication(ctx, "app")
	if graph.KindOf(err) != graph.KindThrottled || graph.RetryAfterOf(err) != 30*time.Second {
		t.Fatalf("first read: %v (retry after %v), want throttled for 30s", err, graph.RetryAfterOf(err))
	}
	if time.Since(start) > 5*time.Second || hits.Load() != 1 {
		t.Errorf("the 429 was retried inside the request: %d requests in %v", hits.Load(), time.Since(start))
	}
	clock.Advance(20 * time.Second)
	err = client.UpdateApplication(ctx, "app", graph.Application{DisplayName: "x"}, []graph.Field{graph.FieldDisplayName})
	if graph.KindOf(err) != graph.KindThrottled || graph.RetryAfterOf(err) != 10*time.Second || hits.Load() != 1 {
		t.Errorf("during the pause: %v after %d requests; want throttled for the remaining 10s without a request", err, hits.Load())
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Summary() == "" || ge.Code != "" {
		t.Errorf("the pause's error is not the operator's own: %#v", ge)
	}
	clock.Advance(11 * time.Second)
	_, _ = client.GetApplication(ctx, "app")
	if hits.Load() != 2 {
		t.Errorf("after the pause %d requests were sent, want the second one", hits.Load())
	}
}

// TestServerErrorsAreRetriedOnlyBriefly: a 503 is retried inside the request only when Graph asks
// for a short wait, and at most twice.
func TestServerErrorsAreRetriedOnlyBriefly(t *testing.T) {
	cases := []struct {
		retryAfter string
		wantHits   int64
	}{
		{"0", 1 + maxInlineRetries},
		{"60", 1},
	}
	for _, c := range cases {
		t.Run("Retry-After "+c.retryAfter, func(t *testing.T) {
			client, hits, _ := graphStub(t, func(w http.ResponseWriter) {
				odataError(w, http.StatusServiceUnavailable, "serviceNotAvailable", map[string]string{"Retry-After": c.retryAfter})
			})
			_, err := client.GetApplication(context.Background(), "app")
			if graph.KindOf(err) != graph.KindUnavailable {
				t.Errorf("error %v, want unavailable", err)
			}
			if hits.Load() != c.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), c.wantHits)
			}
		})
	}
}

// TestAnEmptyAnswerIsAnErrorNotAPanic: kiota returns nil, nil for a 200 without a body.
func TestAnEmptyAnswerIsAnErrorNotAPanic(t *testing.T) {
	client, _, _ := graphStub(t, func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	if _, err := client.GetApplication(context.Background(), "app"); graph.KindOf(err) != graph.KindUnavailable {
		t.Errorf("reading an application from an empty answer: %v, want an unavailable error", err)
	}
	if _, err := client.GetServicePrincipal(context.Background(), "app"); graph.KindOf(err) != graph.KindUnavailable {
		t.Errorf("reading a service principal from an empty answer: %v, want an unavailable error", err)
	}
}

// TestASilentAuthorityEndsInAnAuthenticationErrorInTime: the bounded credential gives up at its
// timeout, and the failure is an authentication error whose summary says the authority was silent.
func TestASilentAuthorityEndsInAnAuthenticationErrorInTime(t *testing.T) {
	client := &Client{now: time.Now}
	bounded := NewBoundedCredential(hangingCredential{}, 200*time.Millisecond)
	start := time.Now()
	_, err := bounded.GetToken(context.Background(), policy.TokenRequestOptions{})
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the token request took %v", time.Since(start))
	}
	wrapped := client.wrap(opReadApplication, err)
	var ge *graph.Error
	if !errors.As(wrapped, &ge) || ge.Kind != graph.KindAuthentication {
		t.Fatalf("%v, want an authentication error", wrapped)
	}
	if got := ge.Summary(); !strings.Contains(got, "did not answer in time") {
		t.Errorf("summary %q does not say the authority was silent", got)
	}
}

type hangingCredential struct{}

func (hangingCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	<-ctx.Done()
	return azcore.AccessToken{}, ctx.Err()
}
