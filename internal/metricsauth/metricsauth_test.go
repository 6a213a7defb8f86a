package metricsauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/rest"
)

// fakeAPIServer answers TokenReviews (token "good" is user "prometheus" in group "monitoring";
// "flaky" fails with 503 the first time) and SubjectAccessReviews (only "prometheus" may get
// /metrics), and counts them.
type fakeAPIServer struct {
	tokenReviews, accessReviews atomic.Int32
	flaked                      atomic.Bool
	lastAccess                  atomic.Pointer[authzv1.SubjectAccessReviewSpec]
}

func (s *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/apis/authentication.k8s.io/v1/tokenreviews":
		s.tokenReviews.Add(1)
		var tr authnv1.TokenReview
		_ = json.NewDecoder(r.Body).Decode(&tr)
		if tr.Spec.Token == "flaky" && !s.flaked.Swap(true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":503}`))
			return
		}
		if tr.Spec.Token == "good" || tr.Spec.Token == "flaky" {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{
				Username: "prometheus", UID: "u1", Groups: []string{"monitoring"},
				Extra: map[string]authnv1.ExtraValue{"scopes": {"a"}},
			}}
		} else {
			tr.Status = authnv1.TokenReviewStatus{Error: "invalid bearer token"}
		}
		_ = json.NewEncoder(w).Encode(tr)
	case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
		s.accessReviews.Add(1)
		var sar authzv1.SubjectAccessReview
		_ = json.NewDecoder(r.Body).Decode(&sar)
		s.lastAccess.Store(&sar.Spec)
		a := sar.Spec.NonResourceAttributes
		sar.Status.Allowed = sar.Spec.User == "prometheus" && a != nil && a.Path == "/metrics" && a.Verb == "get"
		_ = json.NewEncoder(w).Encode(sar)
	default:
		http.NotFound(w, r)
	}
}

func TestFilter(t *testing.T) {
	api := &fakeAPIServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	retryBackoff.Duration = time.Millisecond

	// The fake speaks JSON only; client-go asks for protobuf unless told otherwise.
	f, err := New(&rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	h, err := f(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("metrics"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, auth string) int {
		req := httptest.NewRequestWithContext(context.Background(), method, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	for _, tt := range []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no token", http.MethodGet, "/metrics", "", http.StatusUnauthorized},
		{"not a bearer token", http.MethodGet, "/metrics", "Basic Z29vZA==", http.StatusUnauthorized},
		{"empty bearer token", http.MethodGet, "/metrics", "Bearer ", http.StatusUnauthorized},
		{"rejected token", http.MethodGet, "/metrics", "Bearer bad", http.StatusUnauthorized},
		{"allowed", http.MethodGet, "/metrics", "Bearer good", http.StatusOK},
		{"lower-case scheme", http.MethodGet, "/metrics", "bearer good", http.StatusOK},
		{"another verb", http.MethodPost, "/metrics", "Bearer good", http.StatusForbidden},
		{"another path", http.MethodGet, "/debug", "Bearer good", http.StatusForbidden},
		{"API server unavailable once", http.MethodGet, "/metrics", "Bearer flaky", http.StatusOK},
	} {
		if got := call(tt.method, tt.path, tt.auth); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	spec := api.lastAccess.Load()
	if spec == nil || spec.UID != "u1" || len(spec.Groups) != 1 || spec.Groups[0] != "monitoring" || len(spec.Extra["scopes"]) != 1 {
		t.Errorf("SubjectAccessReview spec = %+v, want the user's UID, groups and extra", spec)
	}

	// Answers are cached: the same token and question again make no review.
	tokens, access := api.tokenReviews.Load(), api.accessReviews.Load()
	for range 3 {
		if got := call(http.MethodGet, "/metrics", "Bearer good"); got != http.StatusOK {
			t.Fatalf("cached: status %d, want 200", got)
		}
		if got := call(http.MethodPost, "/metrics", "Bearer good"); got != http.StatusForbidden {
			t.Fatalf("cached refusal: status %d, want 403", got)
		}
	}
	if api.tokenReviews.Load() != tokens || api.accessReviews.Load() != access {
		t.Errorf("reviews after cached calls: %d tokens, %d access, want %d and %d",
			api.tokenReviews.Load(), api.accessReviews.Load(), tokens, access)
	}
}

func TestCacheExpiry(t *testing.T) {
	now := time.Unix(0, 0)
	c := ttlCache[int]{entries: map[string]entry[int]{}, now: func() time.Time { return now }}
	c.put("deny", 1, denyTTL)
	c.put("allow", 2, allowTTL)
	now = now.Add(denyTTL)
	if _, ok := c.get("deny"); ok {
		t.Error("a refusal is still cached after denyTTL")
	}
	if v, ok := c.get("allow"); !ok || v != 2 {
		t.Error("an authorization is gone before allowTTL")
	}
	for i := range maxCached + 10 {
		c.put(string(rune('a'+i%26))+string(rune(i)), i, time.Minute)
	}
	if len(c.entries) > maxCached {
		t.Errorf("%d entries cached, want at most %d", len(c.entries), maxCached)
	}
}
