package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint.
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
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
// thumbprint doubles as the kid.
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
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
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

// thumbprintMatches compares a JWT header thumbprint with the SHA-1 (x5t)
// or SHA-256 (x5t#S256) digest of a certificate. Clients disagree on the
// encoding (MSAL for Go sends padded standard base64, RFC 7515 says
// unpadded base64url, some send hex), and Entra accepts them all.
func thumbprintMatches(header string, digest []byte) bool {
	if header == "" {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(header); err == nil && bytes.Equal(b, digest) {
			return true
		}
	}
	if b, err := hex.DecodeString(header); err == nil && bytes.Equal(b, digest) {
		return true
	}
	return false
}

func sha1Digest(der []byte) []byte {
	sum := sha1.Sum(der) //nolint:gosec // thumbprint, not a security boundary
	return sum[:]
}

func sha256Digest(der []byte) []byte {
	sum := sha256.Sum256(der)
	return sum[:]
}

// hexThumbprintSHA1 is the upper-case hex SHA-1 thumbprint Graph reports as
// a key credential's customKeyIdentifier.
func hexThumbprintSHA1(der []byte) string {
	sum := sha1.Sum(der) //nolint:gosec // thumbprint, not a security boundary
	return fmt.Sprintf("%X", sum[:])
}
