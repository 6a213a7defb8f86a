package emulator_test

import (
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // thumbprints are SHA-1 by definition
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

func lifetimePolicy(password, key string) emulator.TenantAppManagementPolicy {
	p := emulator.TenantAppManagementPolicy{DisplayName: "Contoso credential policy", IsEnabled: true}
	if password != "" {
		p.ApplicationRestrictions.PasswordCredentials = []emulator.CredentialRestriction{{RestrictionType: emulator.RestrictPasswordLifetime, MaxLifetime: &password}}
	}
	if key != "" {
		p.ApplicationRestrictions.KeyCredentials = []emulator.CredentialRestriction{{RestrictionType: emulator.RestrictAsymmetricKeyLifetime, MaxLifetime: &key}}
	}
	return p
}

// TestAppManagementPolicyRefusesCredentials: the tenant's default policy refuses a client secret or
// a certificate that lives longer than it allows, through addPassword, addKey and a keyCredentials
// PATCH alike, with Graph's codes, naming the policy; shorter ones pass; a forbidden secret type is
// refused outright; applications created before the restriction's date are exempt.
func TestAppManagementPolicyRefusesCredentials(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	objectID, _ := newAppWithSP(t, gc, "policy app")
	if err := tenant.SetDefaultAppManagementPolicy(lifetimePolicy("P30D", "P90D")); err != nil {
		t.Fatal(err)
	}

	long := time.Now().Add(31 * 24 * time.Hour)
	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	pc.SetEndDateTime(&long)
	body.SetPasswordCredential(pc)
	_, err := gc.Applications().ByApplicationId(objectID).AddPassword().Post(c, body, nil)
	e := odataError(t, err, http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy")
	if !strings.Contains(*e.GetErrorEscaped().GetMessage(), "Contoso credential policy") ||
		len(e.GetErrorEscaped().GetDetails()) == 0 || *e.GetErrorEscaped().GetDetails()[0].GetCode() != "InvalidKeyEndDate" {
		t.Errorf("the refusal does not name the policy and InvalidKeyEndDate: %s", *e.GetErrorEscaped().GetMessage())
	}
	short := time.Now().Add(29 * 24 * time.Hour)
	addPassword(t, gc, objectID, &short)

	cert, _ := selfSignedCert(t, 365*24*time.Hour)
	patch := models.NewApplication()
	patch.SetKeyCredentials([]models.KeyCredentialable{keyCredential(cert, "year")})
	_, err = gc.Applications().ByApplicationId(objectID).Patch(c, patch, nil)
	assertODataError(t, err, http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy")
	okCert, okKey := selfSignedCert(t, 60*24*time.Hour)
	patch.SetKeyCredentials([]models.KeyCredentialable{keyCredential(okCert, "two months")})
	if _, err := gc.Applications().ByApplicationId(objectID).Patch(c, patch, nil); err != nil {
		t.Fatalf("a certificate within the policy was refused: %v", err)
	}
	add := applications.NewItemAddKeyPostRequestBody()
	add.SetKeyCredential(keyCredential(cert, "year"))
	add.SetProof(ptr(proofFor(t, okCert, okKey, objectID)))
	_, err = gc.Applications().ByApplicationId(objectID).AddKey().Post(c, add, nil)
	assertODataError(t, err, http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy")

	forbid := emulator.TenantAppManagementPolicy{DisplayName: "No secrets", IsEnabled: true}
	forbid.ApplicationRestrictions.PasswordCredentials = []emulator.CredentialRestriction{{RestrictionType: emulator.RestrictPasswordAddition}}
	if err := tenant.SetDefaultAppManagementPolicy(forbid); err != nil {
		t.Fatal(err)
	}
	_, err = gc.Applications().ByApplicationId(objectID).AddPassword().Post(c, applications.NewItemAddPasswordPostRequestBody(), nil)
	e = odataError(t, err, http.StatusBadRequest, "CredentialTypeNotAllowedAsPerAppPolicy")
	if !strings.Contains(*e.GetErrorEscaped().GetMessage(), "No secrets") {
		t.Errorf("the refusal does not name the policy: %s", *e.GetErrorEscaped().GetMessage())
	}

	// Applications created before the restriction's date are exempt; a disabled policy restricts nothing.
	future := time.Now().Add(time.Hour)
	forbid.ApplicationRestrictions.PasswordCredentials[0].RestrictForAppsCreatedAfterDateTime = &future
	if err := tenant.SetDefaultAppManagementPolicy(forbid); err != nil {
		t.Fatal(err)
	}
	addPassword(t, gc, objectID, nil)
	forbid.ApplicationRestrictions.PasswordCredentials[0].RestrictForAppsCreatedAfterDateTime = nil
	forbid.IsEnabled = false
	if err := tenant.SetDefaultAppManagementPolicy(forbid); err != nil {
		t.Fatal(err)
	}
	addPassword(t, gc, objectID, nil)
}

// TestDefaultAppManagementPolicyOverGraph: GET and PATCH /policies/defaultAppManagementPolicy with
// the policy roles; a PATCH Graph would refuse is refused and changes nothing.
func TestDefaultAppManagementPolicyOverGraph(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant := srv.Tenants()[0]
	id, secret := tenant.AddClient(emulator.RolePolicyReadWriteAppConfig)
	gc := graphClient(t, srv, secretCredential(t, srv, tenant.ID(), id, secret))
	c := ctx(t)

	got, err := gc.Policies().DefaultAppManagementPolicy().Get(c, nil)
	if err != nil || got.GetIsEnabled() == nil || *got.GetIsEnabled() || *got.GetId() != "00000000-0000-0000-0000-000000000000" {
		t.Fatalf("default policy: %v %+v", err, got)
	}
	body := models.NewTenantAppManagementPolicy()
	body.SetIsEnabled(ptr(true))
	restrictions := models.NewAppManagementApplicationConfiguration()
	lifetime := models.NewPasswordCredentialConfiguration()
	rt := models.PASSWORDLIFETIME_APPCREDENTIALRESTRICTIONTYPE
	lifetime.SetRestrictionType(&rt)
	lifetime.SetMaxLifetime(ptr(mustISODuration(t, "P7D")))
	restrictions.SetPasswordCredentials([]models.PasswordCredentialConfigurationable{lifetime})
	body.SetApplicationRestrictions(restrictions)
	if _, err := gc.Policies().DefaultAppManagementPolicy().Patch(c, body, nil); err != nil {
		t.Fatalf("PATCH the default policy: %v", err)
	}
	stored := tenant.DefaultAppManagementPolicy()
	if !stored.IsEnabled || len(stored.ApplicationRestrictions.PasswordCredentials) != 1 {
		t.Fatalf("stored policy = %+v", stored)
	}
	maxLifetime := *stored.ApplicationRestrictions.PasswordCredentials[0].MaxLifetime
	if d, err := mustISODuration(t, maxLifetime).ToDuration(); err != nil || d != 7*24*time.Hour {
		t.Fatalf("stored maxLifetime %q, want seven days", maxLifetime)
	}

	// A lifetime restriction without maxLifetime is refused.
	raw := patchPolicyJSON(t, srv, tenant, id, secret, `{"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime"}]}}`)
	if raw != http.StatusBadRequest {
		t.Errorf("a lifetime restriction without maxLifetime: %d, want 400", raw)
	}
	if after := tenant.DefaultAppManagementPolicy(); *after.ApplicationRestrictions.PasswordCredentials[0].MaxLifetime != maxLifetime {
		t.Errorf("a refused PATCH changed the policy: %+v", after)
	}
	if err := tenant.SetDefaultAppManagementPolicy(lifetimePolicy("P0D", "")); err == nil {
		t.Error("a zero maxLifetime was accepted")
	}
}

// patchPolicyJSON PATCHes the default policy with a raw body and returns the status.
func patchPolicyJSON(t *testing.T, srv *emulator.Server, tenant *emulator.Tenant, clientID, secret, body string) int {
	t.Helper()
	tok := clientSecretToken(t, srv, tenant.ID(), clientID, secret)
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPatch, srv.GraphBaseURL()+"/policies/defaultAppManagementPolicy", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}

// TestCredentialLimits: an application that admits personal accounts holds at most two client
// secrets (TooManyAppPasswords); about 1,000 items across collections; a work-account
// application takes a third secret.
func TestCredentialLimits(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	objectID, _ := newAppWithSP(t, gc, "personal app")
	if err := tenant.UpdateApplication(objectID, func(a *emulator.Application) {
		a.SignInAudience = "AzureADandPersonalMicrosoftAccount"
		v := int32(2)
		a.API.RequestedAccessTokenVersion = &v
	}); err != nil {
		t.Fatal(err)
	}
	first := addPassword(t, gc, objectID, nil)
	addPassword(t, gc, objectID, nil)
	_, err := gc.Applications().ByApplicationId(objectID).AddPassword().Post(c, applications.NewItemAddPasswordPostRequestBody(), nil)
	assertODataError(t, err, http.StatusBadRequest, "TooManyAppPasswords")
	// Rotation still works: remove one, add one.
	rm := applications.NewItemRemovePasswordPostRequestBody()
	rm.SetKeyId(first.GetKeyId())
	if err := gc.Applications().ByApplicationId(objectID).RemovePassword().Post(c, rm, nil); err != nil {
		t.Fatal(err)
	}
	addPassword(t, gc, objectID, nil)

	work, _ := newAppWithSP(t, gc, "work app")
	for range 3 {
		addPassword(t, gc, work, nil)
	}
	if err := tenant.UpdateApplication(work, func(a *emulator.Application) {
		for len(a.Tags)+3 < 1000 {
			a.Tags = append(a.Tags, "tag"+strings.Repeat("x", len(a.Tags)%10)+string(rune('a'+len(a.Tags)%26))+time.Now().Format("150405.000000000"))
		}
	}); err != nil {
		t.Fatal(err)
	}
	_, err = gc.Applications().ByApplicationId(work).AddPassword().Post(c, applications.NewItemAddPasswordPostRequestBody(), nil)
	e := odataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	if !strings.Contains(*e.GetErrorEscaped().GetMessage(), "1000") {
		t.Errorf("the refusal does not name the limit: %s", *e.GetErrorEscaped().GetMessage())
	}
}

// TestKeyIsReadOnlyWithSelectOnOneApplication: the certificate itself comes back only to a GET of one
// application selecting keyCredentials, and its thumbprint is the certificate's SHA-1.
func TestKeyIsReadOnlyWithSelectOnOneApplication(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	gc := graphClient(t, srv, cred)
	c := ctx(t)
	objectID, _ := newAppWithSP(t, gc, "key app")
	cert, _ := selfSignedCert(t, 30*24*time.Hour)
	patch := models.NewApplication()
	patch.SetKeyCredentials([]models.KeyCredentialable{keyCredential(cert, "one")})
	if _, err := gc.Applications().ByApplicationId(objectID).Patch(c, patch, nil); err != nil {
		t.Fatal(err)
	}
	plain, err := gc.Applications().ByApplicationId(objectID).Get(c, nil)
	if err != nil || plain.GetKeyCredentials()[0].GetKey() != nil {
		t.Fatalf("a GET without $select returned the key: %v", err)
	}
	sum := sha1.Sum(cert.Raw) //nolint:gosec // thumbprint
	if string(plain.GetKeyCredentials()[0].GetCustomKeyIdentifier()) != string(sum[:]) {
		t.Error("customKeyIdentifier is not the certificate's SHA-1 thumbprint")
	}
	selected, err := gc.Applications().ByApplicationId(objectID).Get(c, &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials"}},
	})
	if err != nil || string(selected.GetKeyCredentials()[0].GetKey()) != string(cert.Raw) {
		t.Fatalf("$select=keyCredentials on one application did not return the certificate: %v", err)
	}
	list, err := gc.Applications().Get(c, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Select: []string{"id", "keyCredentials"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list.GetValue() {
		for _, k := range a.GetKeyCredentials() {
			if k.GetKey() != nil {
				t.Errorf("a list returned the key of %s", *a.GetId())
			}
		}
	}
}

// proofFor is an addKey proof signed with cert's key.
func proofFor(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey, objectID string) string {
	t.Helper()
	sum := sha1.Sum(cert.Raw) //nolint:gosec // thumbprint
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"aud": "00000002-0000-0000-c000-000000000000", "iss": objectID,
		"nbf": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix(),
	})
	tok.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustISODuration(t *testing.T, s string) serialization.ISODuration {
	t.Helper()
	d, err := serialization.ParseISODuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}
