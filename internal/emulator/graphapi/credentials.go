package graphapi

import (
	"crypto/sha1" //nolint:gosec // customKeyIdentifier is the SHA-1 thumbprint Graph computes.
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// This file holds the credential actions bound to an application (POST
// /applications/{id}/addPassword, removePassword, addKey, removeKey), the keyCredentials a
// create or PATCH may carry, and the one read that returns certificates: GET of one application
// with $select=keyCredentials.

// defaultSecretLifetime is what Graph uses when addPassword has no endDateTime: two years.
const defaultSecretLifetime = 2 * 365 * 24 * time.Hour

// maxProofLifetime is the longest exp-nbf Graph accepts in an addKey or removeKey
// proof-of-possession token.
const maxProofLifetime = 10 * time.Minute

// legacyAADGraphAppID is the audience Graph expects in addKey/removeKey proof-of-possession
// tokens.
const legacyAADGraphAppID = "00000002-0000-0000-c000-000000000000"

// JWS algorithms a proof may be signed with.
var proofAlgs = []string{"RS256", "PS256", "ES256"}

func addPassword(c *call) (reply, *odata.Error) {
	var req struct {
		PasswordCredential *directory.PasswordCredential `json:"passwordCredential"`
	}
	if gerr := decodeInto(c.body, &req, resourcePasswordCredential); gerr != nil {
		return reply{}, gerr
	}
	in := directory.PasswordCredential{}
	if req.PasswordCredential != nil {
		in = *req.PasswordCredential
	}
	start := c.now
	if in.StartDateTime != nil {
		start = *in.StartDateTime
	}
	end := start.Add(defaultSecretLifetime)
	if in.EndDateTime != nil {
		end = *in.EndDateTime
	}
	if !end.After(start) {
		return reply{}, odata.InvalidValue("passwordCredential.endDateTime", resourceApplication, "The end date must be after the start date.")
	}
	if gerr := checkPasswordLimit(c.app); gerr != nil {
		return reply{}, gerr
	}
	if gerr := checkCollectionLimit(c.app, 1); gerr != nil {
		return reply{}, gerr
	}
	if gerr := checkPasswordPolicy(c.tx, c.app, start, end); gerr != nil {
		return reply{}, gerr
	}
	name := ""
	if in.DisplayName != nil {
		name = *in.DisplayName
	}
	secret, cred := directory.NewPasswordCredential(start, end, name)
	c.app.PasswordCredentials = append(c.app.PasswordCredentials, cred)
	// The one answer that carries the secret's value; the directory keeps only its hash.
	cred.SecretText = &secret
	return actionResult("microsoft.graph.passwordCredential", &cred)
}

func removePassword(c *call) (reply, *odata.Error) {
	var req struct {
		KeyID string `json:"keyId"`
	}
	if gerr := decodeInto(c.body, &req, resourceApplication); gerr != nil {
		return reply{}, gerr
	}
	return removeCredential(&c.app.PasswordCredentials, req.KeyID, func(p directory.PasswordCredential) string { return p.KeyID })
}

func addKey(c *call) (reply, *odata.Error) {
	var req struct {
		KeyCredential      *directory.KeyCredential      `json:"keyCredential"`
		PasswordCredential *directory.PasswordCredential `json:"passwordCredential"`
		Proof              string                        `json:"proof"`
	}
	if gerr := decodeInto(c.body, &req, resourceApplication); gerr != nil {
		return reply{}, gerr
	}
	if req.KeyCredential == nil {
		return reply{}, odata.BadRequest("Property 'keyCredential' is required.")
	}
	if gerr := verifyProof(c.app, req.Proof, c.now); gerr != nil {
		return reply{}, gerr
	}
	kc, gerr := newKeyCredential(*req.KeyCredential)
	if gerr != nil {
		return reply{}, gerr
	}
	if slices.ContainsFunc(c.app.KeyCredentials, func(k directory.KeyCredential) bool { return strings.EqualFold(k.KeyID, kc.KeyID) }) {
		return reply{}, odata.InvalidValue("keyCredential.keyId", resourceApplication, fmt.Sprintf("The keyId '%s' is already used.", kc.KeyID))
	}
	if gerr := checkCollectionLimit(c.app, 1); gerr != nil {
		return reply{}, gerr
	}
	if gerr := checkKeyPolicy(c.tx, c.app, *kc.StartDateTime, *kc.EndDateTime); gerr != nil {
		return reply{}, gerr
	}
	c.app.KeyCredentials = append(c.app.KeyCredentials, kc)
	return actionResult("microsoft.graph.keyCredential", &kc)
}

func removeKey(c *call) (reply, *odata.Error) {
	var req struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}
	if gerr := decodeInto(c.body, &req, resourceApplication); gerr != nil {
		return reply{}, gerr
	}
	if gerr := verifyProof(c.app, req.Proof, c.now); gerr != nil {
		return reply{}, gerr
	}
	return removeCredential(&c.app.KeyCredentials, req.KeyID, func(k directory.KeyCredential) string { return k.KeyID })
}

// removeCredential deletes the credential with keyID from creds, or answers 404.
func removeCredential[T any](creds *[]T, keyID string, keyOf func(T) string) (reply, *odata.Error) {
	i := slices.IndexFunc(*creds, func(v T) bool { return strings.EqualFold(keyOf(v), keyID) })
	if i < 0 {
		return reply{}, odata.NotFound(keyID)
	}
	*creds = slices.Delete(*creds, i, i+1)
	return noContent()
}

// verifyProof checks an addKey/removeKey proof of possession: a JWT signed
// by the private key of one of the application's currently valid
// certificates, with aud 00000002-0000-0000-c000-000000000000, iss the
// application's object ID, and a lifetime of at most ten minutes.
func verifyProof(a *directory.Application, proof string, now time.Time) *odata.Error {
	if proof == "" {
		return odata.BadRequest("Property 'proof' is required.")
	}
	valid := a.ValidKeyCredentials(now)
	if len(valid) == 0 {
		return odata.BadRequest("The application has no valid certificate to verify the proof with; use PATCH to update keyCredentials instead.")
	}
	for _, kc := range valid {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(proof, claims, func(tok *jwt.Token) (any, error) {
			if !proofNamesKey(tok.Header, kc) {
				return nil, fmt.Errorf("proof signed by another key")
			}
			return kc.Certificate().PublicKey, nil
		}, jwt.WithValidMethods(proofAlgs), jwt.WithTimeFunc(func() time.Time { return now }),
			jwt.WithAudience(legacyAADGraphAppID), jwt.WithIssuer(a.ID), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
		if err != nil {
			continue
		}
		nbf, _ := claims.GetNotBefore()
		exp, _ := claims.GetExpirationTime()
		if nbf == nil || exp.Sub(nbf.Time) > maxProofLifetime {
			return odata.BadRequest("The proof token must have nbf and expire at most 10 minutes after it.")
		}
		return nil
	}
	return &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeRequestBadRequest,
		Message: "Proof of possession validation failed: the proof is not a valid token signed by a current certificate of this application."}
}

// proofNamesKey reports whether a proof's header names kc's certificate by thumbprint; a header
// without one leaves the signature check to decide.
func proofNamesKey(h map[string]any, kc directory.KeyCredential) bool {
	x5t, _ := h["x5t"].(string)
	x5tS256, _ := h["x5t#S256"].(string)
	if x5t == "" && x5tS256 == "" {
		return true
	}
	return kc.HasThumbprint(x5t, x5tS256)
}

// keyCredentialsFromBody turns the keyCredentials of a create/PATCH body into
// the new list. An entry without key keeps an existing credential with the
// same keyId (GET never returns keys, so read-modify-write clients send
// them back without); an entry with key adds a certificate.
func keyCredentialsFromBody(raw any, current []directory.KeyCredential) ([]directory.KeyCredential, *odata.Error) {
	if raw == nil {
		return []directory.KeyCredential{}, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, odata.InvalidValue("keyCredentials", resourceApplication, "A collection is required.")
	}
	out := make([]directory.KeyCredential, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, odata.InvalidValue("keyCredentials", resourceApplication, "Every entry must be an object.")
		}
		var in directory.KeyCredential
		if gerr := decodeInto(m, &in, resourceKeyCredential); gerr != nil {
			return nil, gerr
		}
		if in.Key == nil || *in.Key == "" {
			i := slices.IndexFunc(current, func(k directory.KeyCredential) bool { return in.KeyID != "" && strings.EqualFold(k.KeyID, in.KeyID) })
			if i < 0 {
				return nil, odata.InvalidValue("keyCredentials.key", resourceApplication, "A new key credential needs the certificate in 'key'.")
			}
			kept := current[i]
			if in.DisplayName != nil {
				kept.DisplayName = in.DisplayName
			}
			out = append(out, kept)
			continue
		}
		kc, gerr := newKeyCredential(in)
		if gerr != nil {
			return nil, gerr
		}
		out = append(out, kc)
	}
	for i := range out {
		for j := range i {
			if strings.EqualFold(out[i].KeyID, out[j].KeyID) {
				return nil, odata.InvalidValue("keyCredentials.keyId", resourceApplication, fmt.Sprintf("The keyId '%s' is used twice.", out[i].KeyID))
			}
		}
	}
	return out, nil
}

// newKeyCredential validates an uploaded certificate and fills the values
// Graph computes: keyId, thumbprint (customKeyIdentifier) and the validity
// window from the certificate.
func newKeyCredential(in directory.KeyCredential) (directory.KeyCredential, *odata.Error) {
	const res = resourceApplication
	if in.Key == nil {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.key", res, "The certificate is required.")
	}
	raw, err := base64.StdEncoding.DecodeString(*in.Key)
	if err != nil {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.key", res, "The key is not base64.")
	}
	if blk, _ := pem.Decode(raw); blk != nil {
		raw = blk.Bytes
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.key", res, "The key is not an X.509 certificate.")
	}
	if in.Type == "" {
		in.Type = "AsymmetricX509Cert"
	}
	if in.Type != "AsymmetricX509Cert" && in.Type != "X509CertAndPassword" {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.type", res, "Allowed values are AsymmetricX509Cert, X509CertAndPassword.")
	}
	if in.Usage == "" {
		in.Usage = "Verify"
	}
	if in.Usage != "Verify" && in.Usage != "Sign" {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.usage", res, "Allowed values are Verify, Sign.")
	}
	if in.KeyID == "" {
		in.KeyID = uuid.NewString()
	} else if !odata.IsGUID(in.KeyID) {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.keyId", res, "The keyId must be a GUID.")
	}
	start, end := cert.NotBefore.UTC(), cert.NotAfter.UTC()
	if in.StartDateTime != nil {
		start = in.StartDateTime.UTC()
	}
	if in.EndDateTime != nil {
		end = in.EndDateTime.UTC()
	}
	if end.After(cert.NotAfter) {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.endDateTime", res, "The end date is after the certificate's expiry.")
	}
	if !end.After(start) {
		return directory.KeyCredential{}, odata.InvalidValue("keyCredentials.endDateTime", res, "The end date must be after the start date.")
	}
	if in.CustomKeyIdentifier == nil || *in.CustomKeyIdentifier == "" {
		// customKeyIdentifier is Edm.Binary: the thumbprint's bytes, base64 in JSON.
		sum := sha1.Sum(cert.Raw) //nolint:gosec // Graph's thumbprint, not a security boundary
		thumb := base64.StdEncoding.EncodeToString(sum[:])
		in.CustomKeyIdentifier = &thumb
	}
	in.StartDateTime, in.EndDateTime = &start, &end
	in.Key = nil
	return in.WithCertificate(cert), nil
}

// getApplication reads one application. Like Graph, it returns the certificates themselves (key,
// base64 DER) only to a read of one application whose $select names keyCredentials.
func getApplication(c *call) (reply, *odata.Error) {
	rep, gerr := entity(http.StatusOK, setApplications, c.app)
	if gerr != nil || !slices.ContainsFunc(c.selected, func(p string) bool { return strings.EqualFold(p, propKeyCredentials) }) {
		return rep, gerr
	}
	keys := make([]any, 0, len(c.app.KeyCredentials))
	for _, kc := range c.app.KeyCredentials {
		m := odata.ToMap(&kc)
		if cert := kc.Certificate(); cert != nil {
			m["key"] = base64.StdEncoding.EncodeToString(cert.Raw)
		}
		keys = append(keys, m)
	}
	rep.body[propKeyCredentials] = keys
	return rep, nil
}
