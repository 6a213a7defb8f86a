package emulator_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is SHA-1 by definition
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// newAppWithSP creates an application and its service principal through
// the SDK and returns the object ID and appId.
func newAppWithSP(t *testing.T, gc *msgraphsdk.GraphServiceClient, name string) (objectID, appID string) {
	t.Helper()
	c := ctx(t)
	a := models.NewApplication()
	a.SetDisplayName(&name)
	created, err := gc.Applications().Post(c, a, nil)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	sp := models.NewServicePrincipal()
	sp.SetAppId(created.GetAppId())
	if _, err := gc.ServicePrincipals().Post(c, sp, nil); err != nil {
		t.Fatalf("create service principal: %v", err)
	}
	return *created.GetId(), *created.GetAppId()
}

func addPassword(t *testing.T, gc *msgraphsdk.GraphServiceClient, objectID string, end *time.Time) models.PasswordCredentialable {
	t.Helper()
	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(ptr("rotation " + uuid.NewString()[:8]))
	pc.SetEndDateTime(end)
	body.SetPasswordCredential(pc)
	res, err := gc.Applications().ByApplicationId(objectID).AddPassword().Post(ctx(t), body, nil)
	if err != nil {
		t.Fatalf("addPassword: %v", err)
	}
	return res
}

// TestAddPasswordSecretLifecycle: secretText is returned once with a
// three-character hint, works at the token endpoint, never shows again,
// and is refused after removePassword.
func TestAddPasswordSecretLifecycle(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	objectID, appID := newAppWithSP(t, gc, "secret app")

	pc := addPassword(t, gc, objectID, nil)
	secret := *pc.GetSecretText()
	if len(secret) < 30 || *pc.GetHint() != secret[:3] {
		t.Fatalf("secret %d chars, hint %q", len(secret), *pc.GetHint())
	}
	if pc.GetEndDateTime() == nil || time.Until(*pc.GetEndDateTime()) < 700*24*time.Hour {
		t.Errorf("default endDateTime should be about two years: %v", pc.GetEndDateTime())
	}

	got, err := gc.Applications().ByApplicationId(objectID).Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := got.GetPasswordCredentials()
	if len(creds) != 1 || creds[0].GetSecretText() != nil || *creds[0].GetHint() != secret[:3] {
		t.Fatalf("GET shows secretText or lost hint: %+v", creds)
	}

	// The new secret works with azidentity.
	if tok := accessToken(t, secretCredential(t, srv, tenant.ID(), appID, secret)); tok == "" {
		t.Fatal("empty token")
	}

	rm := applications.NewItemRemovePasswordPostRequestBody()
	rm.SetKeyId(pc.GetKeyId())
	if err := gc.Applications().ByApplicationId(objectID).RemovePassword().Post(ctx(t), rm, nil); err != nil {
		t.Fatalf("removePassword: %v", err)
	}
	_, err = secretCredential(t, srv, tenant.ID(), appID, secret).GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{graphDefaultScope}})
	if err == nil {
		t.Fatal("removed secret still gets a token")
	}
	res := clientSecretToken(t, srv, tenant.ID(), appID, secret)
	if res.Status != http.StatusUnauthorized || res.Error != "invalid_client" || !slices.Contains(res.ErrorCodes, 7000215) {
		t.Errorf("removed secret: %d %s %v", res.Status, res.Error, res.ErrorCodes)
	}
}

// TestExpiredSecretIsRefused moves a fake clock past endDateTime.
func TestExpiredSecretIsRefused(t *testing.T) {
	clock := newFakeClock()
	srv := startServer(t, emulator.Options{Clock: clock.Now})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	objectID, appID := newAppWithSP(t, gc, "expiring app")

	end := clock.Now().Add(time.Hour)
	secret := *addPassword(t, gc, objectID, &end).GetSecretText()
	if res := clientSecretToken(t, srv, tenant.ID(), appID, secret); res.Status != http.StatusOK || res.AccessToken == "" {
		t.Fatalf("fresh secret refused: %d %s", res.Status, res.Description)
	}
	clock.Advance(2 * time.Hour)
	res := clientSecretToken(t, srv, tenant.ID(), appID, secret)
	if res.Status != http.StatusUnauthorized || !slices.Contains(res.ErrorCodes, 7000222) {
		t.Errorf("expired secret: %d %s %v", res.Status, res.Error, res.ErrorCodes)
	}
}

func keyCredential(cert *x509.Certificate, name string) models.KeyCredentialable {
	kc := models.NewKeyCredential()
	kc.SetKey(cert.Raw)
	kc.SetTypeEscaped(ptr("AsymmetricX509Cert"))
	kc.SetUsage(ptr("Verify"))
	kc.SetDisplayName(&name)
	return kc
}

func certCredential(t *testing.T, srv *emulator.Server, tenantID, appID string, cert *x509.Certificate, key *rsa.PrivateKey) *azidentity.ClientCertificateCredential {
	t.Helper()
	cred, err := azidentity.NewClientCertificateCredential(tenantID, appID, []*x509.Certificate{cert}, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions(srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// rs256Assertion builds a certificate client assertion the classic way
// (RS256, x5t = SHA-1 thumbprint), as ADAL and older MSALs do.
func rs256Assertion(cert *x509.Certificate, key *rsa.PrivateKey, clientID, aud string, now time.Time) (string, error) {
	sum := sha1.Sum(cert.Raw) //nolint:gosec // thumbprint
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"aud": aud, "iss": clientID, "sub": clientID, "jti": uuid.NewString(),
		"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
	return tok.SignedString(key)
}

// TestCertificateCredentials: a certificate uploaded as a keyCredential by
// PATCH signs assertions that get tokens (PS256/x5t#S256 from azidentity,
// RS256/x5t by hand); addKey with a proof rolls to a second certificate and
// removeKey retires the first.
func TestCertificateCredentials(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	objectID, appID := newAppWithSP(t, gc, "cert app")
	c := ctx(t)

	cert1, key1 := selfSignedCert(t, 365*24*time.Hour)
	patch := models.NewApplication()
	patch.SetKeyCredentials([]models.KeyCredentialable{keyCredential(cert1, "first")})
	if _, err := gc.Applications().ByApplicationId(objectID).Patch(c, patch, nil); err != nil {
		t.Fatalf("patch keyCredentials: %v", err)
	}
	got, err := gc.Applications().ByApplicationId(objectID).Get(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := got.GetKeyCredentials()
	if len(keys) != 1 || keys[0].GetKey() != nil || keys[0].GetCustomKeyIdentifier() == nil || keys[0].GetKeyId() == nil {
		t.Fatalf("GET keyCredentials: want one without key, with thumbprint: %+v", keys)
	}
	firstKeyID := *keys[0].GetKeyId()

	// azidentity: PS256 with x5t#S256.
	if tok := accessToken(t, certCredential(t, srv, tenant.ID(), appID, cert1, key1)); tok == "" {
		t.Fatal("no token from certificate")
	}
	// RS256 with x5t, through ClientAssertionCredential.
	tokenURL := srv.URL() + "/" + tenant.ID() + "/oauth2/v2.0/token"
	rsCred, err := azidentity.NewClientAssertionCredential(tenant.ID(), appID, func(context.Context) (string, error) {
		return rs256Assertion(cert1, key1, appID, tokenURL, time.Now())
	}, &azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if claims := claimsOf(t, accessToken(t, rsCred)); claims["azpacr"] != "2" {
		t.Errorf("certificate token azpacr = %v", claims["azpacr"])
	}

	// An unregistered certificate is refused.
	stranger, strangerKey := selfSignedCert(t, 24*time.Hour)
	assertion, _ := rs256Assertion(stranger, strangerKey, appID, tokenURL, time.Now())
	res := postToken(t, srv, tenant.ID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}, "scope": {graphDefaultScope}})
	if res.Status != http.StatusUnauthorized || !slices.Contains(res.ErrorCodes, 700027) {
		t.Errorf("unregistered certificate: %d %v %s", res.Status, res.ErrorCodes, res.Description)
	}

	// addKey needs a proof signed by a current certificate.
	cert2, key2 := selfSignedCert(t, 365*24*time.Hour)
	add := applications.NewItemAddKeyPostRequestBody()
	add.SetKeyCredential(keyCredential(cert2, "second"))
	add.SetProof(ptr(proofFor(t, stranger, strangerKey, objectID)))
	_, err = gc.Applications().ByApplicationId(objectID).AddKey().Post(c, add, nil)
	assertODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

	add.SetProof(ptr(proofFor(t, cert1, key1, objectID)))
	added, err := gc.Applications().ByApplicationId(objectID).AddKey().Post(c, add, nil)
	if err != nil || added.GetKeyId() == nil || added.GetKey() != nil {
		t.Fatalf("addKey: %v", err)
	}
	if tok := accessToken(t, certCredential(t, srv, tenant.ID(), appID, cert2, key2)); tok == "" {
		t.Fatal("added certificate gets no token")
	}

	rm := applications.NewItemRemoveKeyPostRequestBody()
	rm.SetKeyId(&firstKeyID)
	rm.SetProof(ptr(proofFor(t, cert2, key2, objectID)))
	if err := gc.Applications().ByApplicationId(objectID).RemoveKey().Post(c, rm, nil); err != nil {
		t.Fatalf("removeKey: %v", err)
	}
	if _, err := certCredential(t, srv, tenant.ID(), appID, cert1, key1).GetToken(c, policy.TokenRequestOptions{Scopes: []string{graphDefaultScope}}); err == nil {
		t.Error("removed certificate still gets a token")
	}
}

// TestFederatedCredential: a federatedIdentityCredential lets a workload
// exchange its issuer's token (verified with keys registered through
// TrustIssuer) for an Entra token; a different subject is refused.
func TestFederatedCredential(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	objectID, appID := newAppWithSP(t, gc, "federated app")
	c := ctx(t)

	const issuer = "https://oidc.cluster.example.com"
	const subject = "system:serviceaccount:crm:espocrm"
	_, issuerKey := selfSignedCert(t, time.Hour)
	srv.TrustIssuer(issuer, &issuerKey.PublicKey)

	fic := models.NewFederatedIdentityCredential()
	fic.SetName(ptr("crm"))
	fic.SetIssuer(ptr(issuer))
	fic.SetSubject(ptr(subject))
	fic.SetAudiences([]string{"api://AzureADTokenExchange"})
	created, err := gc.Applications().ByApplicationId(objectID).FederatedIdentityCredentials().Post(c, fic, nil)
	if err != nil || created.GetId() == nil {
		t.Fatalf("create federated credential: %v", err)
	}
	_, err = gc.Applications().ByApplicationId(objectID).FederatedIdentityCredentials().Post(c, fic, nil)
	assertODataError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")

	sign := func(sub string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
				"iss": issuer, "sub": sub, "aud": "api://AzureADTokenExchange",
				"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			})
			tok.Header["kid"] = "k8s"
			return tok.SignedString(issuerKey)
		}
	}
	good, err := azidentity.NewClientAssertionCredential(tenant.ID(), appID, sign(subject),
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if tok := accessToken(t, good); tok == "" {
		t.Fatal("federated assertion got no token")
	}
	bad, _ := azidentity.NewClientAssertionCredential(tenant.ID(), appID, sign("system:serviceaccount:other:x"),
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(srv), DisableInstanceDiscovery: true})
	if _, err := bad.GetToken(c, policy.TokenRequestOptions{Scopes: []string{graphDefaultScope}}); err == nil {
		t.Error("assertion with an unregistered subject got a token")
	}
}
