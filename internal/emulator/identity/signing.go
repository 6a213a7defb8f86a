package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint.
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWS algorithm names (RFC 7518 section 3.1).
const (
	algRS256 = "RS256"
	algRS384 = "RS384"
	algRS512 = "RS512"
	algPS256 = "PS256"
	algPS384 = "PS384"
	algPS512 = "PS512"
	algES256 = "ES256"
	algES384 = "ES384"
	algES512 = "ES512"
)

// Names of the JWT claims the emulator issues and reads.
const (
	claimAudience          = "aud"
	claimIssuer            = "iss"
	claimSubject           = "sub"
	claimIssuedAt          = "iat"
	claimNotBefore         = "nbf"
	claimExpires           = "exp"
	claimTenantID          = "tid"
	claimObjectID          = "oid"
	claimAuthorizedParty   = "azp"
	claimAppID             = "appid"
	claimAzpACR            = "azpacr"
	claimAppIDACR          = "appidacr"
	claimVersion           = "ver"
	claimTokenID           = "uti"
	claimIdentityType      = "idtyp"
	claimRoles             = "roles"
	claimScopes            = "scp"
	claimName              = "name"
	claimPreferredUsername = "preferred_username"
	claimEmail             = "email"
	claimNonce             = "nonce"
)

// tokenSigner owns the RSA key every token is signed with. Like Entra, the
// key is published with a self-signed certificate (x5c) and its SHA-1
// thumbprint doubles as the kid. The certificate's validity uses real time,
// not the emulator clock: it is checked, if at all, by clients with theirs.
type tokenSigner struct {
	key     *rsa.PrivateKey
	certDER []byte
	kid     string
}

func newTokenSigner() (*tokenSigner, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate token signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("token signing certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "accounts.emulator.entra"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign token signing certificate: %w", err)
	}
	return &tokenSigner{key: key, certDER: der, kid: thumbprintSHA1(der)}, nil
}

// sign returns an RS256 JWT with kid and x5t headers, as Entra issues.
func (s *tokenSigner) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	tok.Header["x5t"] = s.kid
	out, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return out, nil
}

// verify checks signature, algorithm and lifetime (with Entra's five minute
// clock skew allowance) and returns the claims.
func (s *tokenSigner) verify(raw string, now func() time.Time) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.kid {
			return nil, errors.New("unknown signing key")
		}
		return &s.key.PublicKey, nil
	}, jwt.WithValidMethods([]string{algRS256}), jwt.WithTimeFunc(now),
		jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute))
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return claims, nil
}

// verifySignature checks only that the emulator signed raw, ignoring its
// lifetime (an expired id_token_hint still identifies the client).
func (s *tokenSigner) verifySignature(raw string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{algRS256}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, fmt.Errorf("verify token signature: %w", err)
	}
	return claims, nil
}

// jwks is the JSON Web Key Set document served at .../discovery/v2.0/keys.
func (s *tokenSigner) jwks(issuer string) map[string]any {
	pub := s.key.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty":    "RSA",
		"use":    "sig",
		"kid":    s.kid,
		"x5t":    s.kid,
		"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"x5c":    []string{base64.StdEncoding.EncodeToString(s.certDER)},
		"issuer": issuer,
	}}}
}

// thumbprintSHA1 is the base64url SHA-1 of a DER certificate: the JWT x5t.
func thumbprintSHA1(der []byte) string {
	sum := sha1.Sum(der) //nolint:gosec // thumbprint, not a security boundary
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
