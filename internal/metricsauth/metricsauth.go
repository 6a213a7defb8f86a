// Package metricsauth guards the metrics endpoint the way controller-runtime's
// filters.WithAuthenticationAndAuthorization does: a caller presents a bearer token the API server
// accepts (a TokenReview) and must be allowed the request's verb on its path (a SubjectAccessReview
// for the non-resource URL, e.g. `get` on /metrics). Answers are cached as there: a token for one
// minute, an authorization for five minutes and a refusal for 30 seconds.
//
// It does this with the two typed clients only. The controller-runtime filter builds on
// k8s.io/apiserver's delegating authenticator and authorizer, which link CEL, protobuf descriptors
// and every informer of client-go into the manager: about 10 MB of code and read-only data, most of
// it resident once mapped, for two API calls.
package metricsauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The cache lifetimes and the review timeout, those of controller-runtime's filter.
const (
	tokenTTL      = time.Minute
	allowTTL      = 5 * time.Minute
	denyTTL       = 30 * time.Second
	reviewTimeout = 10 * time.Second
	// maxCached bounds each cache: past it, expired answers are dropped, then all of them.
	maxCached = 1024
)

// retryBackoff retries a review the API server could not answer, as k8s.io/apiserver's default
// webhook backoff does.
var retryBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}

// reviewer asks the API server who a token belongs to and what that user may do.
type reviewer interface {
	reviewToken(ctx context.Context, token string) (*authnv1.TokenReviewStatus, error)
	reviewAccess(ctx context.Context, spec authzv1.SubjectAccessReviewSpec) (*authzv1.SubjectAccessReviewStatus, error)
}

// New returns the filter, a metricsserver.Options.FilterProvider.
func New(config *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationv1.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	authz, err := authorizationv1.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	return newFilter(apiReviewer{authn: authn, authz: authz}, time.Now), nil
}

type apiReviewer struct {
	authn authenticationv1.AuthenticationV1Interface
	authz authorizationv1.AuthorizationV1Interface
}

func (a apiReviewer) reviewToken(ctx context.Context, token string) (*authnv1.TokenReviewStatus, error) {
	r, err := a.authn.TokenReviews().Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return &r.Status, nil
}

func (a apiReviewer) reviewAccess(ctx context.Context, spec authzv1.SubjectAccessReviewSpec) (*authzv1.SubjectAccessReviewStatus, error) {
	r, err := a.authz.SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return &r.Status, nil
}

// retryable: the API server did not answer, or answered that it could not now.
func retryable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true
	}
	code := status.Status().Code
	return code == http.StatusTooManyRequests || code >= http.StatusInternalServerError
}

// withRetry calls review until it succeeds, fails for good, or retryBackoff is used up.
func withRetry[T any](ctx context.Context, review func(context.Context) (T, error)) (T, error) {
	var out T
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, retryBackoff, func(ctx context.Context) (bool, error) {
		rctx, cancel := context.WithTimeout(ctx, reviewTimeout)
		defer cancel()
		out, last = review(rctx)
		if last == nil {
			return true, nil
		}
		if !retryable(last) {
			return false, last
		}
		return false, nil
	})
	if err != nil && last != nil {
		err = last
	}
	return out, err
}

// entry is a cached answer.
type entry[T any] struct {
	value   T
	expires time.Time
}

// ttlCache is a small map of answers with expiry.
type ttlCache[T any] struct {
	mu      sync.Mutex
	entries map[string]entry[T]
	now     func() time.Time
}

func (c *ttlCache[T]) get(key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[T]) put(key string, value T, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= maxCached {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCached {
			clear(c.entries)
		}
	}
	c.entries[key] = entry[T]{value: value, expires: now.Add(ttl)}
}

// decision is an authorization answer.
type decision struct {
	allowed bool
	reason  string
}

type filter struct {
	reviews reviewer
	users   ttlCache[*authnv1.TokenReviewStatus]
	access  ttlCache[decision]
}

func newFilter(reviews reviewer, now func() time.Time) metricsserver.Filter {
	f := &filter{
		reviews: reviews,
		users:   ttlCache[*authnv1.TokenReviewStatus]{entries: map[string]entry[*authnv1.TokenReviewStatus]{}, now: now},
		access:  ttlCache[decision]{entries: map[string]entry[decision]{}, now: now},
	}
	return func(log logr.Logger, handler http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			f.serve(log, handler, w, req)
		}), nil
	}
}

func (f *filter) serve(log logr.Logger, handler http.Handler, w http.ResponseWriter, req *http.Request) {
	token, ok := bearerToken(req)
	if !ok {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	user, err := f.authenticate(req.Context(), token)
	if err != nil {
		log.Error(err, "Authentication failed")
		http.Error(w, "Authentication failed", http.StatusInternalServerError)
		return
	}
	if !user.Authenticated {
		log.V(4).Info("Authentication failed", "error", user.Error)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	verb := strings.ToLower(req.Method)
	d, err := f.authorize(req.Context(), user.User, verb, req.URL.Path)
	if err != nil {
		msg := fmt.Sprintf("Authorization for user %s failed", user.User.Username)
		log.Error(err, msg)
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	if !d.allowed {
		msg := fmt.Sprintf("Authorization denied for user %s", user.User.Username)
		log.V(4).Info(fmt.Sprintf("%s: %s", msg, d.reason))
		http.Error(w, msg, http.StatusForbidden)
		return
	}
	handler.ServeHTTP(w, req)
}

// bearerToken is the token of an "Authorization: Bearer <token>" header.
func bearerToken(req *http.Request) (string, bool) {
	parts := strings.SplitN(strings.TrimSpace(req.Header.Get("Authorization")), " ", 3)
	if len(parts) < 2 || !strings.EqualFold(parts[0], "bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

func (f *filter) authenticate(ctx context.Context, token string) (*authnv1.TokenReviewStatus, error) {
	sum := sha256.Sum256([]byte(token))
	key := string(sum[:])
	if st, ok := f.users.get(key); ok {
		return st, nil
	}
	st, err := withRetry(ctx, func(ctx context.Context) (*authnv1.TokenReviewStatus, error) {
		return f.reviews.reviewToken(ctx, token)
	})
	if err != nil {
		return nil, err
	}
	f.users.put(key, st, tokenTTL)
	return st, nil
}

func (f *filter) authorize(ctx context.Context, user authnv1.UserInfo, verb, path string) (decision, error) {
	spec := authzv1.SubjectAccessReviewSpec{
		User:                  user.Username,
		UID:                   user.UID,
		Groups:                user.Groups,
		NonResourceAttributes: &authzv1.NonResourceAttributes{Path: path, Verb: verb},
	}
	if len(user.Extra) > 0 {
		spec.Extra = make(map[string]authzv1.ExtraValue, len(user.Extra))
		for k, v := range user.Extra {
			spec.Extra[k] = authzv1.ExtraValue(v)
		}
	}
	key := accessKey(user, verb, path)
	if d, ok := f.access.get(key); ok {
		return d, nil
	}
	st, err := withRetry(ctx, func(ctx context.Context) (*authzv1.SubjectAccessReviewStatus, error) {
		return f.reviews.reviewAccess(ctx, spec)
	})
	if err != nil {
		return decision{}, err
	}
	d := decision{allowed: st.Allowed && !st.Denied, reason: st.Reason}
	ttl := denyTTL
	if d.allowed {
		ttl = allowTTL
	}
	f.access.put(key, d, ttl)
	return d, nil
}

// accessKey identifies a question to the authorizer: who (all of the user's attributes) does what.
func accessKey(user authnv1.UserInfo, verb, path string) string {
	var b strings.Builder
	field := func(s string) { fmt.Fprintf(&b, "%d:%s", len(s), s) }
	field(user.Username)
	field(user.UID)
	for _, g := range user.Groups {
		field(g)
	}
	b.WriteByte('|')
	keys := make([]string, 0, len(user.Extra))
	for k := range user.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(k)
		for _, v := range user.Extra[k] {
			field(v)
		}
		b.WriteByte(';')
	}
	b.WriteByte('|')
	field(verb)
	field(path)
	return b.String()
}
