package secretproof_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/certificate"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

const (
	espoCallback = "https://crm.example.com/oauth-callback.php"
	oroCallback  = "https://crm.example.com/microsoft-identity/connection/access-token"
	smtpCallback = "https://crm.example.com/admin/smtp_oauth_microsoft/token"
)

var threeCXRoles = []string{"User.Read.All", "Calendars.Read", "Contacts.Read", "Mail.Send"}

// crmClient is an application of the fixture's tenant as the operator would leave it for a CRM:
// a confidential client holding roles, with the web redirect URIs and tenant-wide consent to the
// delegated scopes on Microsoft Graph. It returns the Input a Secret of format f is rendered from.
func (f fixture) crmClient(t *testing.T, format secretdata.Format, redirects []string, scopes string, roles ...string) secretdata.Input {
	t.Helper()
	clientID, secret := f.tenant.AddClient(roles...)
	app, _ := f.tenant.ApplicationByAppID(clientID)
	if err := f.tenant.UpdateApplication(app.ID, func(a *emulator.Application) { a.Web.RedirectURIs = redirects }); err != nil {
		t.Fatal(err)
	}
	sp, _ := f.tenant.ServicePrincipalByAppID(clientID)
	if scopes != "" {
		f.tenant.Do(func(tx *directory.Tx) {
			tx.AddGrant(&directory.OAuth2PermissionGrant{ID: uuid.NewString(), ClientID: sp.ID, ConsentType: "AllPrincipals",
				ResourceID: f.tenant.GraphServicePrincipalID(), Scope: scopes}, time.Now().Add(-time.Hour))
		})
	}
	keyID := app.PasswordCredentials[0].KeyID
	return secretdata.Input{TenantID: f.tenant.ID(), ClientID: clientID, Cloud: f.cloud, Format: format,
		ClientSecret: &secretdata.ClientSecret{KeyID: keyID, Value: secret}, RedirectURIs: redirects, DelegatedPermissions: strings.Fields(scopes)}
}

func render(t *testing.T, in secretdata.Input) map[string][]byte {
	t.Helper()
	data, err := secretdata.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// prove runs one prover and fails the test unless the outcome is as wanted: passed, or failed with
// an error containing wantErr. No outcome may quote the client secret.
func (f fixture) prove(t *testing.T, p secretproof.Prover, secret map[string][]byte, clientSecret, wantErr string) secretproof.Result {
	t.Helper()
	r := secretproof.Run(context.Background(), f.client, secret, []secretproof.Prover{p})[0]
	switch {
	case !r.Applied():
		t.Fatalf("%s did not run: the Secret lacks %v", p.Name, r.Missing)
	case wantErr == "" && r.Err != nil:
		t.Fatalf("%s: %v", p.Name, r.Err)
	case wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), wantErr)):
		t.Fatalf("%s: err = %v, want one saying %q", p.Name, r.Err, wantErr)
	}
	if clientSecret != "" && (strings.Contains(r.Detail, clientSecret) || r.Err != nil && strings.Contains(r.Err.Error(), clientSecret)) {
		t.Errorf("%s: the outcome quotes the client secret", p.Name)
	}
	return r
}

func TestEspoCRMSignsInAndReadsTheUsernameClaim(t *testing.T) {
	f := newFixture(t)
	in := f.crmClient(t, secretdata.FormatEspoCRM, []string{espoCallback}, "openid profile email")
	secret := render(t, in)
	user := f.tenant.Users()[1]
	r := f.prove(t, secretproof.EspoCRM(espoCallback, user.UserPrincipalName), secret, in.ClientSecret.Value, "")
	if !strings.Contains(r.Detail, user.Mail) || !strings.Contains(r.Detail, "its email claim") {
		t.Errorf("detail %q does not name the user and the claim", r.Detail)
	}

	cases := []struct {
		name, redirect string
		change         func(map[string][]byte)
		wantErr        string
	}{
		{"a redirect URI the application does not have", "https://crm.example.com/elsewhere.php", nil, "AADSTS50011"},
		{"a client secret that is not the application's", espoCallback,
			func(s map[string][]byte) { s[secretdata.EspoCRMClientSecret] = []byte("not-the-secret") }, "invalid_client"},
		{"a username claim the ID token lacks", espoCallback,
			func(s map[string][]byte) { s[secretdata.EspoCRMUsernameClaim] = []byte("upn") }, "no upn claim"},
		{"a JWKS that is not the tenant's", espoCallback,
			func(s map[string][]byte) {
				s[secretdata.EspoCRMJWKSEndpoint] = []byte(f.tenant.Endpoints().Authorization)
			}, "does not verify"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broken := render(t, in)
			if c.change != nil {
				c.change(broken)
			}
			f.prove(t, secretproof.EspoCRM(c.redirect, ""), broken, in.ClientSecret.Value, c.wantErr)
		})
	}
}

func TestOroCRMGetsATokenWithTheMailScopes(t *testing.T) {
	f := newFixture(t)
	redirects := []string{"https://crm.example.com/login/check-office365", oroCallback}
	in := f.crmClient(t, secretdata.FormatOroCRM, redirects,
		"openid profile email offline_access User.Read IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send")
	r := f.prove(t, secretproof.OroCRM(f.cloud.AuthorityHost, oroCallback), render(t, in), in.ClientSecret.Value, "")
	if !strings.Contains(r.Detail, "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send") || !strings.Contains(r.Detail, "refresh token") {
		t.Errorf("detail %q does not name the mail scopes and the refresh token", r.Detail)
	}
	f.prove(t, secretproof.OroCRM(f.cloud.AuthorityHost, "https://crm.example.com/unlisted"), render(t, in), in.ClientSecret.Value,
		"is not among ORO_MICROSOFT_REDIRECT_URIS")

	// POP.AccessAsUser.All declared, so asked for, but never consented.
	unconsented := f.crmClient(t, secretdata.FormatOroCRM, redirects, "offline_access IMAP.AccessAsUser.All SMTP.Send")
	unconsented.DelegatedPermissions = append(unconsented.DelegatedPermissions, "POP.AccessAsUser.All")
	f.prove(t, secretproof.OroCRM(f.cloud.AuthorityHost, oroCallback), render(t, unconsented), unconsented.ClientSecret.Value,
		"without POP.AccessAsUser.All")
}

func TestSMTPGetsASendTokenThroughTheRefreshToken(t *testing.T) {
	f := newFixture(t)
	in := f.crmClient(t, secretdata.FormatSMTP, []string{smtpCallback}, "offline_access SMTP.Send")
	r := f.prove(t, secretproof.SMTP(smtpCallback), render(t, in), in.ClientSecret.Value, "")
	if !strings.Contains(r.Detail, "SMTP.Send") || !strings.Contains(r.Detail, "smtp.office365.com:587") {
		t.Errorf("detail %q does not say what the token is for", r.Detail)
	}
	noOffline := render(t, in)
	noOffline[secretdata.SMTPScope] = []byte("https://outlook.office.com/SMTP.Send")
	f.prove(t, secretproof.SMTP(smtpCallback), noOffline, in.ClientSecret.Value, "no refresh token")

	unconsented := f.crmClient(t, secretdata.FormatSMTP, []string{smtpCallback}, "offline_access")
	f.prove(t, secretproof.SMTP(smtpCallback), render(t, unconsented), unconsented.ClientSecret.Value, "without SMTP.Send")
}

func TestThreeCXGetsAnAppOnlyTokenWithTheCertificate(t *testing.T) {
	f := newFixture(t)
	in := f.crmClient(t, secretdata.FormatThreeCX, []string{"https://pbx.example.com/sso"}, "", threeCXRoles...)
	pair, err := certificate.Generate(certificate.KeyTypeRSA, 2048, "3cx", time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := f.tenant.ApplicationByAppID(in.ClientID)
	start, end := pair.Leaf.NotBefore, pair.Leaf.NotAfter
	kc := emulator.KeyCredential{KeyID: uuid.NewString(), Type: "AsymmetricX509Cert", Usage: "Verify", StartDateTime: &start, EndDateTime: &end}.WithCertificate(pair.Leaf)
	if err := f.tenant.UpdateApplication(app.ID, func(a *emulator.Application) { a.KeyCredentials = append(a.KeyCredentials, kc) }); err != nil {
		t.Fatal(err)
	}
	in.ClientSecret = nil
	in.Certificate = &secretdata.Certificate{KeyID: kc.KeyID, CertPEM: pair.CertPEM, KeyPEM: pair.KeyPEM, CombinedPEM: pair.CombinedPEM(), Thumbprint: pair.Thumbprint()}
	secret := render(t, in)
	r := f.prove(t, secretproof.ThreeCX(f.cloud.AuthorityHost, threeCXRoles), secret, "", "")
	if !strings.Contains(r.Detail, pair.Thumbprint()) || !strings.Contains(r.Detail, "Calendars.Read, Contacts.Read, Mail.Send, User.Read.All") {
		t.Errorf("detail %q does not name the certificate and the roles", r.Detail)
	}
	f.prove(t, secretproof.ThreeCX(f.cloud.AuthorityHost, slices.Concat(threeCXRoles, []string{"Mail.Read"})), secret, "", "want the consented")

	stranger, err := certificate.Generate(certificate.KeyTypeRSA, 2048, "stranger", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	unregistered := render(t, in)
	unregistered[secretdata.ThreeCXCertificate], unregistered[secretdata.ThreeCXPrivateKey] = stranger.CertPEM, stranger.KeyPEM
	delete(unregistered, secretdata.ThreeCXCertificateThumbprint)
	f.prove(t, secretproof.ThreeCX(f.cloud.AuthorityHost, threeCXRoles), unregistered, "", "invalid_client")
	unregistered[secretdata.ThreeCXCertificateThumbprint] = []byte(pair.Thumbprint())
	f.prove(t, secretproof.ThreeCX(f.cloud.AuthorityHost, threeCXRoles), unregistered, "", "is not the thumbprint")
}
