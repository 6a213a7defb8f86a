package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

func newApp(name string) models.Applicationable {
	a := models.NewApplication()
	a.SetDisplayName(&name)
	return a
}

// TestLatency: every request takes at least the configured latency.
func TestLatency(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	accessToken(t, cred) // warm the token cache
	srv.SetBehaviour(emulator.Behaviour{Latency: 300 * time.Millisecond})
	start := time.Now()
	if _, err := gc.Applications().Get(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("request took %v, want >= 300ms", d)
	}
}

// TestReplicationLag: a new application is invisible to reads, but the
// upsert (a write) finds it; SP creation fails with NoBackingApplicationObject
// until the lag passes, then succeeds.
func TestReplicationLag(t *testing.T) {
	clock := newFakeClock()
	srv := startServer(t, emulator.Options{Clock: clock.Now, Behaviour: emulator.Behaviour{ReplicationLag: 30 * time.Second}})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)

	a := newApp("lagging")
	a.SetUniqueName(ptr("lagging-1"))
	created, err := gc.Applications().Post(c, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = gc.Applications().ByApplicationId(*created.GetId()).Get(c, nil)
	assertODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	if list, err := gc.Applications().Get(c, nil); err != nil || len(list.GetValue()) != 1 {
		t.Fatalf("list during lag should show only the seeded operator app: %v", err)
	}
	// The upsert goes to the primary and updates instead of duplicating.
	if res, err := gc.ApplicationsWithUniqueName(ptr("lagging-1")).Patch(c, newApp("lagging renamed"), nil); err != nil || res != nil {
		t.Fatalf("upsert during lag: res=%v err=%v", res, err)
	}

	sp := models.NewServicePrincipal()
	sp.SetAppId(created.GetAppId())
	_, err = gc.ServicePrincipals().Post(c, sp, nil)
	oe := odataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	if d := oe.GetErrorEscaped().GetDetails(); len(d) != 1 || *d[0].GetCode() != "NoBackingApplicationObject" {
		t.Fatalf("want detail NoBackingApplicationObject, got %+v", d)
	}

	clock.Advance(31 * time.Second)
	got, err := gc.Applications().ByApplicationId(*created.GetId()).Get(c, nil)
	if err != nil || *got.GetDisplayName() != "lagging renamed" {
		t.Fatalf("after lag: %v", err)
	}
	if _, err := gc.ServicePrincipals().Post(c, sp, nil); err != nil {
		t.Fatalf("SP create after lag: %v", err)
	}
	_, err = gc.ServicePrincipals().Post(c, sp, nil)
	assertODataError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")
}

// TestThrottling: a write over the bucket gets 429 with Retry-After and the
// x-ms-throttle headers; the SDK's retry handler waits and succeeds.
func TestThrottling(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	token := accessToken(t, cred)
	srv.SetBehaviour(emulator.Behaviour{Throttle: &emulator.ThrottleConfig{
		AppWrites: 1, AppWindow: time.Second, TenantWrites: 100, TenantWindow: time.Minute,
	}})

	post := func() (int, http.Header) { return postApplication(t, srv, token) }
	if status, h := post(); status != http.StatusCreated || h.Get("x-ms-throttle-limit-percentage") == "" {
		t.Fatalf("first write: %d, limit percentage %q", status, h.Get("x-ms-throttle-limit-percentage"))
	}
	status, h := post()
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" ||
		h.Get("x-ms-throttle-scope") != "Tenant_Application/ReadWrite/"+tenant.OperatorClientID()+"/"+tenant.ID() ||
		h.Get("x-ms-throttle-information") == "" {
		t.Fatalf("second write: %d Retry-After=%q scope=%q", status, h.Get("Retry-After"), h.Get("x-ms-throttle-scope"))
	}

	before := srv.Counters().Throttled
	start := time.Now()
	if _, err := gc.Applications().Post(c, newApp("patient"), nil); err != nil {
		t.Fatalf("SDK write under throttling: %v", err)
	}
	if srv.Counters().Throttled <= before || time.Since(start) < 500*time.Millisecond {
		t.Errorf("SDK was not throttled and retried: throttled %d->%d in %v", before, srv.Counters().Throttled, time.Since(start))
	}
}

// TestServerErrors: injected 503s carry Retry-After, the SDK retries them
// (and gives up with the ODataError after its three retries).
func TestServerErrors(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	accessToken(t, cred)

	srv.SetBehaviour(emulator.Behaviour{ServerErrorRate: 1})
	srv.ResetCounters()
	_, err := gc.Applications().Get(c, nil)
	assertODataError(t, err, http.StatusServiceUnavailable, "serviceNotAvailable")
	if n := srv.Counters().ServerErrors; n != 4 {
		t.Errorf("server errors = %d, want 1 + 3 retries", n)
	}

	// Fail until the first 503 was served, then heal: the retry succeeds.
	srv.SetBehaviour(emulator.Behaviour{ServerErrorRate: 1, ServerErrorRetryAfter: time.Second})
	srv.ResetCounters()
	go func() {
		for srv.Counters().ServerErrors == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		srv.SetBehaviour(emulator.Behaviour{})
	}()
	if _, err := gc.Applications().Get(c, nil); err != nil {
		t.Fatalf("retried request failed: %v", err)
	}
	if got := srv.Counters(); got.ServerErrors != 1 || got.ByOperation["application.list"] != 2 {
		t.Errorf("counters: %+v", got)
	}
}

// TestConcurrencyConflicts: two overlapping writes to one application, one
// of them gets 409 Directory_ConcurrencyViolation (which kiota does not
// retry); serialized writes both succeed.
func TestConcurrencyConflicts(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	created, err := gc.Applications().Post(c, newApp("contended"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetBehaviour(emulator.Behaviour{ConcurrencyConflicts: true, ConcurrencyHold: 300 * time.Millisecond})

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := models.NewApplication()
			p.SetNotes(ptr("writer"))
			_, errs[i] = gc.Applications().ByApplicationId(*created.GetId()).Patch(c, p, nil)
		}()
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("first writer: %v", errs[0])
	}
	assertODataError(t, errs[1], http.StatusConflict, "Directory_ConcurrencyViolation")

	for range 2 {
		if _, err := gc.Applications().ByApplicationId(*created.GetId()).Patch(c, models.NewApplication(), nil); err != nil {
			t.Fatalf("serialized write: %v", err)
		}
	}
	if srv.Counters().Conflicts != 1 {
		t.Errorf("conflicts = %d", srv.Counters().Conflicts)
	}
}

// TestCountersByOperation: reads, writes and token requests are counted
// separately and reset.
func TestCountersByOperation(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	created, err := gc.Applications().Post(c, newApp("counted"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Counters(); got.TokenRequests != 1 || got.ByOperation["token.client_credentials"] != 1 {
		t.Errorf("token counters: %+v", got)
	}
	srv.ResetCounters()
	if _, err := gc.Applications().ByApplicationId(*created.GetId()).Get(c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := gc.Applications().ByApplicationId(*created.GetId()).Patch(c, models.NewApplication(), nil); err != nil {
		t.Fatal(err)
	}
	got := srv.Counters()
	if got.Reads != 1 || got.Writes != 1 || got.ByOperation["application.get"] != 1 || got.ByOperation["application.patch"] != 1 || got.TokenRequests != 0 {
		t.Errorf("counters: %+v", got)
	}
}

// TestThrottlingWithALongRetryAfter: with ThrottleConfig.RetryAfter a throttled write says how long
// to wait in Retry-After (with Graph's x-ms-throttle headers) and is refused again until that time
// has passed on the emulator clock, even though the bucket refilled long before.
func TestThrottlingWithALongRetryAfter(t *testing.T) {
	clock := newFakeClock()
	srv := startServer(t, emulator.Options{Clock: clock.Now})
	tenant, cred := operatorCredential(t, srv)
	token := accessToken(t, cred)
	srv.SetBehaviour(emulator.Behaviour{Throttle: &emulator.ThrottleConfig{
		AppWrites: 1, AppWindow: time.Second, TenantWrites: 100, TenantWindow: time.Minute, RetryAfter: 10 * time.Minute,
	}})
	post := func() (int, http.Header) { return postApplication(t, srv, token) }
	if status, _ := post(); status != http.StatusCreated {
		t.Fatalf("first write: %d", status)
	}
	scope := "Tenant_Application/ReadWrite/" + tenant.OperatorClientID() + "/" + tenant.ID()
	for _, tc := range []struct {
		after      time.Duration
		retryAfter string
	}{{0, "600"}, {2 * time.Second, "598"}, {9 * time.Minute, "58"}} {
		clock.Advance(tc.after)
		status, h := post()
		if status != http.StatusTooManyRequests || h.Get("Retry-After") != tc.retryAfter ||
			h.Get("x-ms-throttle-scope") != scope || h.Get("x-ms-throttle-information") != "WriteLimitExceeded" {
			t.Fatalf("+%v: %d Retry-After=%q scope=%q information=%q, want 429 Retry-After=%s",
				tc.after, status, h.Get("Retry-After"), h.Get("x-ms-throttle-scope"), h.Get("x-ms-throttle-information"), tc.retryAfter)
		}
	}
	clock.Advance(time.Minute)
	if status, _ := post(); status != http.StatusCreated {
		t.Fatalf("after Retry-After: %d", status)
	}
	if got := srv.Counters().Throttled; got != 3 {
		t.Errorf("throttled = %d, want 3", got)
	}
}

// TestStalledTokenEndpoint: while the token endpoint stalls, a client gets no answer and gives up
// at its own deadline (azidentity reports it), Graph still serves tokens issued before, and the
// attempts are counted; switching the stall off answers the request still waiting.
func TestStalledTokenEndpoint(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	if _, err := gc.Applications().Get(ctx(t), nil); err != nil { // also caches the Graph token
		t.Fatal(err)
	}
	srv.SetBehaviour(emulator.Behaviour{StallTokenEndpoint: true})
	srv.ResetCounters()

	fresh := secretCredential(t, srv, tenant.ID(), tenant.OperatorClientID(), tenant.OperatorClientSecret())
	short, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := fresh.GetToken(short, policy.TokenRequestOptions{Scopes: []string{graphDefaultScope}})
	// azidentity's AuthenticationFailedError does not wrap the context's error; its message is what
	// an operator gets to report.
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Fatalf("token request during the stall: %v, want the client's deadline", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %v, want about the client's 300ms", d)
	}
	if _, err := gc.Applications().Get(ctx(t), nil); err != nil {
		t.Errorf("Graph with an earlier token during the stall: %v", err)
	}

	answered := make(chan tokenResponse, 1)
	go func() {
		answered <- clientSecretToken(t, srv, tenant.ID(), tenant.OperatorClientID(), tenant.OperatorClientSecret())
	}()
	for srv.Counters().TokenRequests < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case res := <-answered:
		t.Fatalf("answered during the stall: %d", res.Status)
	case <-time.After(100 * time.Millisecond):
	}
	srv.SetBehaviour(emulator.Behaviour{})
	select {
	case res := <-answered:
		if res.Status != http.StatusOK || res.AccessToken == "" {
			t.Errorf("after the stall: %d %s", res.Status, res.Description)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting request was not answered after the stall")
	}
}

// TestCloseDuringAStall: Close returns promptly while a token request is stalled, and the request
// ends instead of hanging.
func TestCloseDuringAStall(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Behaviour: emulator.Behaviour{StallTokenEndpoint: true}})
	if err != nil {
		t.Fatal(err)
	}
	tenant := srv.Tenants()[0]
	ended := make(chan error, 1)
	go func() {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tenant.OperatorClientID()},
			"client_secret": {tenant.OperatorClientSecret()}, "scope": {graphDefaultScope}}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, tenant.Endpoints().Token, stringsReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := srv.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				err = errors.New("a token was issued during the stall")
			}
		}
		ended <- err
	}()
	for srv.Counters().TokenRequests == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a stalled request", d)
	}
	select {
	case err := <-ended:
		if err != nil && strings.Contains(err.Error(), "issued") {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled request still hangs after Close")
	}
}

// postApplication creates an application with a raw request and returns the response's status
// and headers; the body is closed before returning.
func postApplication(t *testing.T, srv *emulator.Server, token string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, srv.GraphBaseURL()+"/applications", stringsReader(`{"displayName":"raw"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}
