package certificate

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
)

var now = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func TestGenerateParseAndDescribe(t *testing.T) {
	cases := []struct {
		keyType string
		bits    int
		alg     string
	}{
		{KeyTypeRSA, 2048, "RS256"},
		{KeyTypeRSA, 3072, "RS256"},
		{KeyTypeECDSA, 256, "ES256"},
	}
	for _, c := range cases {
		t.Run(c.keyType, func(t *testing.T) {
			p, err := Generate(c.keyType, c.bits, "entra-sso-operator crm/espocrm", now, 90*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if kt, bits := p.KeyType(); kt != c.keyType || bits != c.bits {
				t.Errorf("KeyType() = %s %d, want %s %d", kt, bits, c.keyType, c.bits)
			}
			if got := p.Leaf.NotAfter.Sub(p.Leaf.NotBefore); got != 90*24*time.Hour {
				t.Errorf("lifetime %v, want exactly validFor (an app management policy compares it)", got)
			}
			if !p.Leaf.NotBefore.Before(now) {
				t.Errorf("NotBefore %v is not before now: a slow clock would find it not yet valid", p.Leaf.NotBefore)
			}
			again, err := Parse(p.CertPEM, p.KeyPEM)
			if err != nil || again.Thumbprint() != p.Thumbprint() || len(p.Thumbprint()) != 40 {
				t.Fatalf("Parse of Generate: %v, thumbprint %q", err, again.Thumbprint())
			}
			// The combined PEM is what AZURE_CLIENT_CERTIFICATE_PATH points at.
			certs, key, err := azidentity.ParseCertificates(p.CombinedPEM(), nil)
			if c.keyType == KeyTypeRSA && (err != nil || len(certs) != 1 || key == nil) {
				t.Errorf("azidentity cannot read the combined PEM: %v", err)
			}
			checkProof(t, p, c.alg)
		})
	}
}

// checkProof verifies an addKey proof as Graph does: signed by the certificate with alg, for the
// legacy audience, issued by the object ID, valid at most ten minutes, naming its certificate.
func checkProof(t *testing.T, p Pair, alg string) {
	t.Helper()
	proof, err := p.Proof("object-id", now)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(proof, claims, func(*jwt.Token) (any, error) { return p.Leaf.PublicKey, nil },
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithAudience(legacyGraphAudience), jwt.WithIssuer("object-id"))
	if err != nil || tok.Method.Alg() != alg {
		t.Fatalf("proof does not verify: %v (alg %v)", err, tok.Method.Alg())
	}
	nbf, _ := claims.GetNotBefore()
	exp, _ := claims.GetExpirationTime()
	if nbf == nil || exp == nil || exp.Sub(nbf.Time) > 10*time.Minute {
		t.Errorf("proof lifetime %v..%v, Graph allows at most ten minutes", nbf, exp)
	}
	if tok.Header["x5t"] == nil || tok.Header["x5t#S256"] == nil {
		t.Errorf("proof header %v names no thumbprint", tok.Header)
	}
}

func TestParseRefusesWhatCannotAuthenticate(t *testing.T) {
	a, err := Generate(KeyTypeECDSA, 256, "a", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(KeyTypeECDSA, 256, "b", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(append([]byte{}, a.CertPEM...), b.CertPEM...)
	if p, err := Parse(chain, a.KeyPEM); err != nil || p.Thumbprint() != a.Thumbprint() {
		t.Errorf("a chain's leaf comes first: %v", err)
	}
	for name, c := range map[string]struct{ cert, key []byte }{
		"key of another certificate": {a.CertPEM, b.KeyPEM},
		"no certificate":             {nil, a.KeyPEM},
		"no key":                     {a.CertPEM, nil},
		"garbage":                    {[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), a.KeyPEM},
	} {
		if _, err := Parse(c.cert, c.key); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Generate(KeyTypeRSA, 1024, "weak", now, time.Hour); err == nil {
		t.Error("a 1024-bit RSA key was generated")
	}
}

func TestThumbprintIsThePortals(t *testing.T) {
	p, err := Generate(KeyTypeECDSA, 256, "x", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tp := p.Thumbprint()
	if strings.ToUpper(tp) != tp || len(tp) != 40 {
		t.Errorf("thumbprint %q is not 40 upper-case hex digits", tp)
	}
	blk, _ := pem.Decode(p.CertPEM)
	cert, _ := x509.ParseCertificate(blk.Bytes)
	if Thumbprint(cert.Raw) != tp {
		t.Error("Thumbprint(DER) differs from Pair.Thumbprint")
	}
}

// FuzzParse: whatever a kubernetes.io/tls Secret holds, Parse answers without panicking, and what
// it accepts has a key that belongs to its certificate.
func FuzzParse(f *testing.F) {
	p, err := Generate(KeyTypeECDSA, 256, "seed", now, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.CertPEM, p.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte("x"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		got, err := Parse(certPEM, keyPEM)
		if err != nil {
			return
		}
		if !publicKeysEqual(got.Leaf.PublicKey, got.Key.Public()) {
			t.Fatal("accepted a key that is not the certificate's")
		}
	})
}
