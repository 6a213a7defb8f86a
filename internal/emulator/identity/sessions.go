package identity

import (
	"sync"
	"time"
)

// Lifetimes of what the identity platform issues.
const (
	accessTokenLifetime  = time.Hour
	authCodeLifetime     = 10 * time.Minute
	refreshTokenLifetime = 90 * 24 * time.Hour
)

// session is a user's sign-in to a client in a tenant: what an authorization code or a refresh
// token stands for.
type session struct {
	tenantID, clientID, userID, scope string
	expires                           time.Time
}

func (s session) tenant() string { return s.tenantID }

// authCode is an issued authorization code.
type authCode struct {
	session
	redirectURI, nonce         string
	challenge, challengeMethod string
	redeemed                   bool
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct{ session }

// sessions are the sign-ins in progress or done. They name their tenant and client, and the token
// endpoint refuses them once the client's application is gone, so deleting an application ends
// its sessions without the directory knowing about them.
type sessions struct {
	codes   issued[authCode]
	refresh issued[refreshGrant]
}

// issued holds what opaque tokens (codes, refresh tokens) stand for.
type issued[T interface{ tenant() string }] struct {
	mu      sync.Mutex
	byToken map[string]*T
}

// issue stores v under a new opaque token and returns the token.
func (s *issued[T]) issue(v T) string {
	token := newOpaque()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byToken == nil {
		s.byToken = map[string]*T{}
	}
	s.byToken[token] = &v
	return token
}

// get returns a copy of what token stands for, if it was issued in tenantID.
func (s *issued[T]) get(tenantID, token string) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.byToken[token]
	if v == nil || (*v).tenant() != tenantID {
		var zero T
		return zero, false
	}
	return *v, true
}

// update changes what token stands for, if anything.
func (s *issued[T]) update(token string, change func(*T)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.byToken[token]; v != nil {
		change(v)
	}
}
