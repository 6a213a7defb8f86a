// Package certificate makes, reads and uses the certificates an application authenticates with:
// self-signed certificates the operator generates, certificates from a kubernetes.io/tls Secret
// (what cert-manager writes), their SHA-1 thumbprint as Entra shows it, the PEM layouts the output
// Secret carries, and the JWTs signed with their keys (the proof Graph's addKey and removeKey ask
// for, and the client assertion a workload signs in with).
package certificate

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Entra names certificates by their SHA-1 thumbprint (x5t).
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Key algorithms of generated certificates.
const (
	KeyTypeRSA   = "RSA"
	KeyTypeECDSA = "ECDSA"
)

// clockSkew backdates a generated certificate, so a relying party whose clock runs a little behind
// does not find it "not yet valid".
const clockSkew = 5 * time.Minute

// legacyGraphAudience is the aud Graph requires in an addKey or removeKey proof.
const legacyGraphAudience = "00000002-0000-0000-c000-000000000000"

// proofLifetime is how long a proof is valid; Graph accepts at most ten minutes.
const proofLifetime = 10 * time.Minute

// Pair is a certificate (with its chain, leaf first) and its private key.
type Pair struct {
	// CertPEM and KeyPEM are the PEM the Secret carries as tls.crt and tls.key.
	CertPEM, KeyPEM []byte
	// Leaf is the certificate the application is registered with.
	Leaf *x509.Certificate
	// Key signs assertions and proofs.
	Key crypto.Signer
}

// Generate makes a self-signed certificate for client authentication, valid for validFor from
// shortly before now. keyType is KeyTypeRSA (bits 2048, 3072 or 4096) or KeyTypeECDSA (P-256).
func Generate(keyType string, bits int, commonName string, now time.Time, validFor time.Duration) (Pair, error) {
	var key crypto.Signer
	var err error
	switch keyType {
	case KeyTypeRSA:
		if bits != 2048 && bits != 3072 && bits != 4096 {
			return Pair{}, fmt.Errorf("generating a certificate: RSA keys are 2048, 3072 or 4096 bits, not %d", bits)
		}
		key, err = rsa.GenerateKey(rand.Reader, bits)
	case KeyTypeECDSA:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return Pair{}, fmt.Errorf("generating a certificate: unknown key type %q", keyType)
	}
	if err != nil {
		return Pair{}, fmt.Errorf("generating a %s key: %w", keyType, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Pair{}, fmt.Errorf("generating a serial number: %w", err)
	}
	notBefore := now.Add(-clockSkew).Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return Pair{}, fmt.Errorf("signing the certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, fmt.Errorf("encoding the private key: %w", err)
	}
	return Parse(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// Parse reads a certificate chain (leaf first, as cert-manager writes tls.crt) and its private key
// (PKCS #8, PKCS #1 or SEC 1), and checks that the key belongs to the leaf.
func Parse(certPEM, keyPEM []byte) (Pair, error) {
	var leaf *x509.Certificate
	rest := certPEM
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return Pair{}, fmt.Errorf("reading tls.crt: %w", err)
		}
		leaf = cert
		break
	}
	if leaf == nil {
		return Pair{}, errors.New("reading tls.crt: no PEM certificate")
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return Pair{}, err
	}
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return Pair{}, errors.New("tls.key is not the key of the certificate in tls.crt")
	}
	return Pair{CertPEM: certPEM, KeyPEM: keyPEM, Leaf: leaf, Key: key}, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, errors.New("reading tls.key: no PEM private key")
		}
		var key any
		var err error
		switch blk.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading tls.key: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("reading tls.key: a %T cannot sign", key)
		}
		return signer, nil
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// Thumbprint is the SHA-1 thumbprint of a certificate (DER) in upper-case hex, as the Azure portal
// and Entra's customKeyIdentifier name it.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der) //nolint:gosec // the thumbprint is SHA-1 by definition
	return strings.ToUpper(fmt.Sprintf("%x", sum[:]))
}

// Thumbprint is the leaf's thumbprint.
func (p Pair) Thumbprint() string { return Thumbprint(p.Leaf.Raw) }

// CombinedPEM is the private key followed by the certificate chain: the file
// AZURE_CLIENT_CERTIFICATE_PATH of azidentity (and cert-manager's tls-combined.pem) expects.
func (p Pair) CombinedPEM() []byte {
	var b bytes.Buffer
	b.Write(bytes.TrimSpace(p.KeyPEM))
	b.WriteByte('\n')
	b.Write(bytes.TrimSpace(p.CertPEM))
	b.WriteByte('\n')
	return b.Bytes()
}

// KeyType describes the leaf's key as the spec does: KeyTypeRSA with its size in bits, or
// KeyTypeECDSA with 256 for P-256.
func (p Pair) KeyType() (string, int) {
	switch k := p.Leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		return KeyTypeRSA, k.N.BitLen()
	case *ecdsa.PublicKey:
		return KeyTypeECDSA, k.Curve.Params().BitSize
	}
	return "", 0
}

// signingMethod is how the pair's key signs a JWT: RS256 for RSA, ES256 for P-256.
func (p Pair) signingMethod() (jwt.SigningMethod, error) {
	switch p.Key.Public().(type) {
	case *rsa.PublicKey:
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PublicKey:
		return jwt.SigningMethodES256, nil
	}
	return nil, fmt.Errorf("a %T key cannot sign a JWT for Entra", p.Key.Public())
}

// sign signs claims with the pair's key, naming the certificate by its thumbprints.
func (p Pair) sign(claims jwt.MapClaims) (string, error) {
	method, err := p.signingMethod()
	if err != nil {
		return "", err
	}
	tok := jwt.NewWithClaims(method, claims)
	sha1Sum := sha1.Sum(p.Leaf.Raw) //nolint:gosec // x5t is SHA-1 by definition
	sha256Sum := sha256.Sum256(p.Leaf.Raw)
	tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sha1Sum[:])
	tok.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sha256Sum[:])
	s, err := tok.SignedString(p.Key)
	if err != nil {
		return "", fmt.Errorf("signing a JWT with the certificate's key: %w", err)
	}
	return s, nil
}

// Proof is the proof of possession Graph's addKey and removeKey require: a JWT signed by a current
// certificate of the application, issued by the application's object ID, for the legacy Azure AD
// Graph audience, valid for ten minutes from now.
func (p Pair) Proof(applicationObjectID string, now time.Time) (string, error) {
	return p.sign(jwt.MapClaims{
		"aud": legacyGraphAudience, "iss": applicationObjectID, "jti": uuid.NewString(),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(proofLifetime).Unix(),
	})
}

// ClientAssertion is a client assertion (RFC 7523) for the token endpoint at tokenURL: what a
// workload signs to authenticate as clientID with this certificate.
func (p Pair) ClientAssertion(clientID, tokenURL string, now time.Time) (string, error) {
	return p.sign(jwt.MapClaims{
		"aud": tokenURL, "iss": clientID, "sub": clientID, "jti": uuid.NewString(),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(proofLifetime).Unix(),
	})
}
