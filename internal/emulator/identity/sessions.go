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

// authCode is an issued authorization code.
type authCode struct {
	tenantID, clientID, redirectURI, userID, scope, nonce string
	challenge, challengeMethod                            string
	expires                                               time.Time
	redeemed                                              bool
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	tenantID, clientID, userID, scope string
	expires                           time.Time
}

// sessions are the sign-ins in progress or done: authorization codes and refresh tokens. They
// name their tenant and client, and the token endpoint refuses them once the client's
// application is gone, so deleting an application ends its sessions without the directory
// knowing about them.
type sessions struct {
	mu      sync.Mutex
	codes   map[string]*authCode
	refresh map[string]*refreshGrant
}

func newSessions() *sessions {
	return &sessions{codes: map[string]*authCode{}, refresh: map[string]*refreshGrant{}}
}

// issueCode stores an authorization code and returns its value.
func (s *sessions) issueCode(c authCode) string {
	code := newOpaque()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = &c
	return code
}

// code returns a copy of the code issued in tenantID, if any.
func (s *sessions) code(tenantID, code string) (authCode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[code]
	if c == nil || c.tenantID != tenantID {
		return authCode{}, false
	}
	return *c, true
}

// redeem marks a code used; a second redemption is refused.
func (s *sessions) redeem(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.codes[code]; c != nil {
		c.redeemed = true
	}
}

// issueRefresh stores a refresh grant and returns its token.
func (s *sessions) issueRefresh(g refreshGrant) string {
	rt := newOpaque()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[rt] = &g
	return rt
}

// refreshGrant returns a copy of the grant a refresh token issued in tenantID stands for.
func (s *sessions) refreshGrant(tenantID, token string) (refreshGrant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.refresh[token]
	if g == nil || g.tenantID != tenantID {
		return refreshGrant{}, false
	}
	return *g, true
}
