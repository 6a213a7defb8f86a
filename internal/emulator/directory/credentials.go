package directory

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint.
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewPasswordCredential makes a client secret shaped like Entra's (three characters, the "8Q~"
// marker, then random characters) and the credential that keeps only its hash. Hint is the
// first three characters, as Graph reports it.
func NewPasswordCredential(start, end time.Time, displayName string) (string, PasswordCredential) {
	secret := randomSecret()
	hint := secret[:3]
	s, e := start.UTC(), end.UTC()
	cred := PasswordCredential{
		KeyID: uuid.NewString(), Hint: &hint, StartDateTime: &s, EndDateTime: &e,
		secretHash: sha256.Sum256([]byte(secret)),
	}
	if displayName != "" {
		cred.DisplayName = &displayName
	}
	return secret, cred
}

// randomSecret returns 40 characters shaped like an Entra client secret: three characters, "8Q~",
// then 34 more from Entra's alphabet.
func randomSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"
	buf := make([]byte, 37)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("directory: crypto/rand: %v", err))
	}
	out := make([]byte, 0, 40)
	for i, b := range buf {
		if i == 3 {
			out = append(out, "8Q~"...)
		}
		out = append(out, alphabet[int(b)%len(alphabet)])
	}
	return string(out)
}

// Matches reports whether secret is this credential's value, in constant time.
func (p *PasswordCredential) Matches(secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], p.secretHash[:]) == 1
}

// ActiveAt reports whether the secret is valid at now: started and not expired.
func (p *PasswordCredential) ActiveAt(now time.Time) bool {
	return activeAt(p.StartDateTime, p.EndDateTime, now)
}

// ActiveAt reports whether the certificate credential is valid at now: started and not expired.
func (k *KeyCredential) ActiveAt(now time.Time) bool {
	return activeAt(k.StartDateTime, k.EndDateTime, now)
}

func activeAt(start, end *time.Time, now time.Time) bool {
	return (start == nil || !now.Before(*start)) && (end == nil || now.Before(*end))
}

// Certificate returns the X.509 certificate stored for this credential, or nil (for example for
// a credential decoded from JSON outside the directory).
func (k KeyCredential) Certificate() *x509.Certificate { return k.cert }

// WithCertificate returns k holding cert, the key the token endpoint and addKey proofs are
// verified with. Graph never returns it.
func (k KeyCredential) WithCertificate(cert *x509.Certificate) KeyCredential {
	k.cert = cert
	return k
}

// HasThumbprint reports whether a JWT header thumbprint names this credential's certificate:
// x5t is its SHA-1, x5tS256 its SHA-256 (either may be empty).
func (k KeyCredential) HasThumbprint(x5t, x5tS256 string) bool {
	if k.cert == nil {
		return false
	}
	sha1Sum := sha1.Sum(k.cert.Raw) //nolint:gosec // thumbprint, not a security boundary
	sha256Sum := sha256.Sum256(k.cert.Raw)
	return thumbprintMatches(x5t, sha1Sum[:]) || thumbprintMatches(x5tS256, sha256Sum[:])
}

// thumbprintMatches compares a JWT header thumbprint with a certificate digest. Clients disagree
// on the encoding (MSAL for Go sends padded standard base64, RFC 7515 says unpadded base64url,
// some send hex), and Entra accepts them all.
func thumbprintMatches(header string, digest []byte) bool {
	if header == "" {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(header); err == nil && bytes.Equal(b, digest) {
			return true
		}
	}
	b, err := hex.DecodeString(header)
	return err == nil && bytes.Equal(b, digest)
}

// ValidKeyCredentials are the application's certificates usable now for verification.
func (a *Application) ValidKeyCredentials(now time.Time) []KeyCredential {
	var out []KeyCredential
	for _, kc := range a.KeyCredentials {
		if kc.cert != nil && strings.EqualFold(kc.Usage, "Verify") && kc.ActiveAt(now) {
			out = append(out, kc)
		}
	}
	return out
}
