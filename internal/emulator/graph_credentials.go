package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
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
)

// defaultSecretLifetime is what Graph uses when addPassword has no
// endDateTime: two years.
const defaultSecretLifetime = 2 * 365 * 24 * time.Hour

// maxProofLifetime is the longest exp-nbf Graph accepts in an addKey or
// removeKey proof-of-possession token.
const maxProofLifetime = 10 * time.Minute

// randomSecret returns 40 characters shaped like an Entra client secret:
// three characters, "8Q~", then 34 more from Entra's alphabet.
func randomSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"
	buf := make([]byte, 37)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("emulator: crypto/rand: %v", err))
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

// The credential actions bound to an application (POST
// /applications/{id}/{action}).
const (
	actionAddPassword    = "addPassword"
	actionRemovePassword = "removePassword"
	actionAddKey         = "addKey"
	actionRemoveKey      = "removeKey"
)

// credentialAction handles addPassword, removePassword, addKey, removeKey.
func (g *graphCall) credentialAction(k entityKey, action string) *graphError {
	body, gerr := g.decodeObject()
	if gerr != nil {
		return gerr
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.findAppLocked(k)
	if a == nil {
		if err := g.canWriteApplication(nil); err != nil {
			return err
		}
		return errNotFound(k.value)
	}
	// An application may roll its own keys without any permission.
	self := strings.EqualFold(g.who.appID, a.AppID) && (action == actionAddKey || action == actionRemoveKey)
	if !self {
		if err := g.canWriteApplication(a); err != nil {
			return err
		}
	}
	switch action {
	case actionAddPassword:
		return g.addPassword(a, body)
	case actionRemovePassword:
		return g.removePassword(a, body)
	case actionAddKey:
		return g.addKey(a, body)
	default:
		return g.removeKey(a, body)
	}
}

func (g *graphCall) addPassword(a *Application, body map[string]any) *graphError {
	var req struct {
		PasswordCredential *PasswordCredential `json:"passwordCredential"`
	}
	if gerr := decodeInto(body, &req, resourcePasswordCredential); gerr != nil {
		return gerr
	}
	in := PasswordCredential{}
	if req.PasswordCredential != nil {
		in = *req.PasswordCredential
	}
	start := g.now
	if in.StartDateTime != nil {
		start = *in.StartDateTime
	}
	end := start.Add(defaultSecretLifetime)
	if in.EndDateTime != nil {
		end = *in.EndDateTime
	}
	if !end.After(start) {
		return errInvalidValue("passwordCredential.endDateTime", resourceApplication, "The end date must be after the start date.")
	}
	name := ""
	if in.DisplayName != nil {
		name = *in.DisplayName
	}
	secret, cred := newPasswordCredential(start, end, name)
	a.PasswordCredentials = append(a.PasswordCredentials, cred)

	out := cred
	out.SecretText = &secret
	obj := toJSONMap(&out)
	obj["@odata.context"] = g.s.GraphBaseURL() + "/$metadata#microsoft.graph.passwordCredential"
	writeJSON(g.w, http.StatusOK, obj)
	return nil
}

func (g *graphCall) removePassword(a *Application, body map[string]any) *graphError {
	var req struct {
		KeyID string `json:"keyId"`
	}
	if gerr := decodeInto(body, &req, resourceApplication); gerr != nil {
		return gerr
	}
	i := slices.IndexFunc(a.PasswordCredentials, func(p PasswordCredential) bool { return strings.EqualFold(p.KeyID, req.KeyID) })
	if i < 0 {
		return errNotFound(req.KeyID)
	}
	a.PasswordCredentials = slices.Delete(a.PasswordCredentials, i, i+1)
	g.noContent()
	return nil
}

func (g *graphCall) addKey(a *Application, body map[string]any) *graphError {
	var req struct {
		KeyCredential      *KeyCredential      `json:"keyCredential"`
		PasswordCredential *PasswordCredential `json:"passwordCredential"`
		Proof              string              `json:"proof"`
	}
	if gerr := decodeInto(body, &req, resourceApplication); gerr != nil {
		return gerr
	}
	if req.KeyCredential == nil {
		return errBadRequest("Property 'keyCredential' is required.")
	}
	if gerr := verifyProof(a, req.Proof, g.now); gerr != nil {
		return gerr
	}
	kc, gerr := newKeyCredential(*req.KeyCredential)
	if gerr != nil {
		return gerr
	}
	a.KeyCredentials = append(a.KeyCredentials, kc)
	obj := toJSONMap(&kc)
	obj["@odata.context"] = g.s.GraphBaseURL() + "/$metadata#microsoft.graph.keyCredential"
	writeJSON(g.w, http.StatusOK, obj)
	return nil
}

func (g *graphCall) removeKey(a *Application, body map[string]any) *graphError {
	var req struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}
	if gerr := decodeInto(body, &req, resourceApplication); gerr != nil {
		return gerr
	}
	if gerr := verifyProof(a, req.Proof, g.now); gerr != nil {
		return gerr
	}
	i := slices.IndexFunc(a.KeyCredentials, func(k KeyCredential) bool { return strings.EqualFold(k.KeyID, req.KeyID) })
	if i < 0 {
		return errNotFound(req.KeyID)
	}
	a.KeyCredentials = slices.Delete(a.KeyCredentials, i, i+1)
	g.noContent()
	return nil
}

// verifyProof checks an addKey/removeKey proof of possession: a JWT signed
// by the private key of one of the application's currently valid
// certificates, with aud 00000002-0000-0000-c000-000000000000, iss the
// application's object ID, and a lifetime of at most ten minutes.
func verifyProof(a *Application, proof string, now time.Time) *graphError {
	if proof == "" {
		return errBadRequest("Property 'proof' is required.")
	}
	valid := validKeyCredentials(a, now)
	if len(valid) == 0 {
		return errBadRequest("The application has no valid certificate to verify the proof with; use PATCH to update keyCredentials instead.")
	}
	for _, kc := range valid {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(proof, claims, func(tok *jwt.Token) (any, error) {
			if !headerMatchesCert(tok.Header, kc.cert) {
				return nil, fmt.Errorf("proof signed by another key")
			}
			return kc.cert.PublicKey, nil
		}, jwt.WithValidMethods([]string{algRS256, algPS256, algES256}), jwt.WithTimeFunc(func() time.Time { return now }),
			jwt.WithAudience(legacyAADGraphAppID), jwt.WithIssuer(a.ID), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
		if err != nil {
			continue
		}
		nbf, _ := claims.GetNotBefore()
		exp, _ := claims.GetExpirationTime()
		if nbf == nil || exp.Sub(nbf.Time) > maxProofLifetime {
			return errBadRequest("The proof token must have nbf and expire at most 10 minutes after it.")
		}
		return nil
	}
	return &graphError{status: http.StatusBadRequest, code: codeRequestBadRequest,
		message: "Proof of possession validation failed: the proof is not a valid token signed by a current certificate of this application."}
}

// headerMatchesCert reports whether a JWT header's thumbprint (if any)
// names cert.
func headerMatchesCert(h map[string]any, cert *x509.Certificate) bool {
	if x5t, ok := h["x5t"].(string); ok && x5t != "" {
		return thumbprintMatches(x5t, sha1Digest(cert.Raw))
	}
	if x5t, ok := h["x5t#S256"].(string); ok && x5t != "" {
		return thumbprintMatches(x5t, sha256Digest(cert.Raw))
	}
	return true
}

// validKeyCredentials are the certificates usable now (started, unexpired).
func validKeyCredentials(a *Application, now time.Time) []KeyCredential {
	var out []KeyCredential
	for _, kc := range a.KeyCredentials {
		if kc.cert == nil || !strings.EqualFold(kc.Usage, "Verify") {
			continue
		}
		if kc.StartDateTime != nil && now.Before(*kc.StartDateTime) {
			continue
		}
		if kc.EndDateTime != nil && !now.Before(*kc.EndDateTime) {
			continue
		}
		out = append(out, kc)
	}
	return out
}

// keyCredentialsFromBody turns the keyCredentials of a create/PATCH body into
// the new list. An entry without key keeps an existing credential with the
// same keyId (GET never returns keys, so read-modify-write clients send
// them back without); an entry with key adds a certificate.
func keyCredentialsFromBody(raw any, current []KeyCredential) ([]KeyCredential, *graphError) {
	if raw == nil {
		return []KeyCredential{}, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, errInvalidValue("keyCredentials", resourceApplication, "A collection is required.")
	}
	out := make([]KeyCredential, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, errInvalidValue("keyCredentials", resourceApplication, "Every entry must be an object.")
		}
		var in KeyCredential
		if gerr := decodeInto(m, &in, resourceKeyCredential); gerr != nil {
			return nil, gerr
		}
		if in.Key == nil || *in.Key == "" {
			i := slices.IndexFunc(current, func(k KeyCredential) bool { return in.KeyID != "" && strings.EqualFold(k.KeyID, in.KeyID) })
			if i < 0 {
				return nil, errInvalidValue("keyCredentials.key", resourceApplication, "A new key credential needs the certificate in 'key'.")
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
				return nil, errInvalidValue("keyCredentials.keyId", resourceApplication, fmt.Sprintf("The keyId '%s' is used twice.", out[i].KeyID))
			}
		}
	}
	return out, nil
}

// newKeyCredential validates an uploaded certificate and fills the values
// Graph computes: keyId, thumbprint (customKeyIdentifier) and the validity
// window from the certificate.
func newKeyCredential(in KeyCredential) (KeyCredential, *graphError) {
	const res = resourceApplication
	if in.Key == nil {
		return KeyCredential{}, errInvalidValue("keyCredentials.key", res, "The certificate is required.")
	}
	raw, err := base64.StdEncoding.DecodeString(*in.Key)
	if err != nil {
		return KeyCredential{}, errInvalidValue("keyCredentials.key", res, "The key is not base64.")
	}
	if blk, _ := pem.Decode(raw); blk != nil {
		raw = blk.Bytes
	}
	cert, err := x509.ParseCertificate(raw)
	if err != nil {
		return KeyCredential{}, errInvalidValue("keyCredentials.key", res, "The key is not an X.509 certificate.")
	}
	if in.Type == "" {
		in.Type = "AsymmetricX509Cert"
	}
	if in.Type != "AsymmetricX509Cert" && in.Type != "X509CertAndPassword" {
		return KeyCredential{}, errInvalidValue("keyCredentials.type", res, "Allowed values are AsymmetricX509Cert, X509CertAndPassword.")
	}
	if in.Usage == "" {
		in.Usage = "Verify"
	}
	if in.Usage != "Verify" && in.Usage != "Sign" {
		return KeyCredential{}, errInvalidValue("keyCredentials.usage", res, "Allowed values are Verify, Sign.")
	}
	if in.KeyID == "" {
		in.KeyID = uuid.NewString()
	} else if !isGUID(in.KeyID) {
		return KeyCredential{}, errInvalidValue("keyCredentials.keyId", res, "The keyId must be a GUID.")
	}
	start, end := cert.NotBefore.UTC(), cert.NotAfter.UTC()
	if in.StartDateTime != nil {
		start = in.StartDateTime.UTC()
	}
	if in.EndDateTime != nil {
		end = in.EndDateTime.UTC()
	}
	if end.After(cert.NotAfter) {
		return KeyCredential{}, errInvalidValue("keyCredentials.endDateTime", res, "The end date is after the certificate's expiry.")
	}
	if !end.After(start) {
		return KeyCredential{}, errInvalidValue("keyCredentials.endDateTime", res, "The end date must be after the start date.")
	}
	if in.CustomKeyIdentifier == nil || *in.CustomKeyIdentifier == "" {
		thumb := hexThumbprintSHA1(cert.Raw)
		in.CustomKeyIdentifier = &thumb
	}
	in.StartDateTime, in.EndDateTime = &start, &end
	in.Key = nil
	in.cert = cert
	return in, nil
}

// secretMatches reports whether secret is the value of cred.
func secretMatches(cred PasswordCredential, secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], cred.secretHash[:]) == 1
}
