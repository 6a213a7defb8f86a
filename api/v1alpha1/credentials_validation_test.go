package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}

// withCredentials is validEspoCRM with every kind of credential, valid.
func withCredentials(name string) *v1.AppRegistration {
	a := validEspoCRM(name)
	a.Spec.Credentials = &v1.Credentials{
		ClientSecret: &v1.ClientSecretCredential{},
		Certificate:  &v1.CertificateCredential{Generate: &v1.GeneratedCertificate{KeyType: v1.CertificateKeyECDSA}},
		Federated: []v1.FederatedCredential{
			{Name: "crm", Issuer: "https://oidc.cluster.example.com", Subject: "system:serviceaccount:crm:espocrm"},
			{Name: "ci", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:example/crm:ref:refs/heads/main"},
		},
	}
	return a
}

func TestCredentialsAreDefaulted(t *testing.T) {
	ctx := context.Background()
	in := withCredentials("credentials-defaults")
	if err := k8sClient.Create(ctx, in); err != nil {
		t.Fatalf("valid credentials were refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, in) })
	got := &v1.AppRegistration{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(in), got); err != nil {
		t.Fatal(err)
	}
	cs := got.Spec.Credentials.ClientSecret
	if cs.ValidFor == nil || cs.ValidFor.Duration != 4320*time.Hour || cs.RenewBefore.Duration != 1440*time.Hour || cs.KeepPrevious.Duration != 24*time.Hour {
		t.Errorf("client secret defaults = %+v, want 4320h/1440h/24h", cs.Rotation)
	}
	if g := got.Spec.Credentials.Certificate.Generate; g.ValidFor == nil || g.KeyType != v1.CertificateKeyECDSA {
		t.Errorf("certificate defaults = %+v", g)
	}
	for _, f := range got.Spec.Credentials.Federated {
		if len(f.Audiences) != 1 || f.Audiences[0] != "api://AzureADTokenExchange" {
			t.Errorf("federated %s audiences = %v, want the default api://AzureADTokenExchange", f.Name, f.Audiences)
		}
	}

	rsa := validEspoCRM("credentials-rsa-ref")
	rsa.Spec.Credentials = &v1.Credentials{Certificate: &v1.CertificateCredential{SecretRef: &v1.TLSSecretReference{Name: "crm-tls"}}}
	if err := k8sClient.Create(ctx, rsa); err != nil {
		t.Fatalf("a secretRef certificate was refused: %v", err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, rsa) })
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(rsa), got); err != nil {
		t.Fatal(err)
	}
	if kp := got.Spec.Credentials.Certificate.SecretRef.KeepPrevious; kp == nil || kp.Duration != 24*time.Hour {
		t.Errorf("secretRef keepPrevious = %v, want 24h", kp)
	}
}

func TestInvalidCredentialsAreRefusedNamingTheField(t *testing.T) {
	cases := []struct {
		name           string
		breakIt        func(*v1.Credentials)
		field, message string
	}{
		{"validFor beyond two years", func(c *v1.Credentials) {
			c.ClientSecret.ValidFor = dur("17521h")
		}, "spec.credentials.clientSecret", "validFor must be between 1h and 17520h"},
		{"validFor below an hour", func(c *v1.Credentials) {
			c.ClientSecret.ValidFor, c.ClientSecret.RenewBefore, c.ClientSecret.KeepPrevious = dur("30m"), dur("10m"), dur("1m")
		}, "spec.credentials.clientSecret", "validFor must be between 1h and 17520h"},
		{"renewBefore not below validFor", func(c *v1.Credentials) {
			c.ClientSecret.ValidFor, c.ClientSecret.RenewBefore = dur("720h"), dur("720h")
		}, "spec.credentials.clientSecret", "renewBefore must be more than 0s and less than validFor"},
		{"keepPrevious not below renewBefore", func(c *v1.Credentials) {
			c.ClientSecret.RenewBefore, c.ClientSecret.KeepPrevious = dur("48h"), dur("48h")
		}, "spec.credentials.clientSecret", "keepPrevious must be at least 1m and less than renewBefore"},
		{"keepPrevious below a minute", func(c *v1.Credentials) {
			c.ClientSecret.KeepPrevious = dur("30s")
		}, "spec.credentials.clientSecret", "keepPrevious must be at least 1m"},
		{"keepPrevious reaching into the next renewal", func(c *v1.Credentials) {
			c.ClientSecret.ValidFor, c.ClientSecret.RenewBefore, c.ClientSecret.KeepPrevious = dur("100h"), dur("60h"), dur("50h")
		}, "spec.credentials.clientSecret", "keepPrevious must be less than validFor minus renewBefore"},
		{"a generated certificate renewed before it exists", func(c *v1.Credentials) {
			c.Certificate.Generate.ValidFor, c.Certificate.Generate.RenewBefore = dur("1h"), dur("2h")
		}, "spec.credentials.certificate.generate", "renewBefore must be more than 0s and less than validFor"},
		{"certificate generated and referenced", func(c *v1.Credentials) {
			c.Certificate.SecretRef = &v1.TLSSecretReference{Name: "crm-tls"}
		}, "spec.credentials.certificate", "set exactly one of generate and secretRef"},
		{"certificate neither generated nor referenced", func(c *v1.Credentials) {
			c.Certificate.Generate = nil
		}, "spec.credentials.certificate", "set exactly one of generate and secretRef"},
		{"ECDSA with an RSA size", func(c *v1.Credentials) {
			c.Certificate.Generate.KeySize = 2048
		}, "spec.credentials.certificate.generate", "keySize must be 2048, 3072 or 4096 for RSA, and 256 (P-256) for ECDSA"},
		{"RSA with a weak size", func(c *v1.Credentials) {
			c.Certificate.Generate.KeyType, c.Certificate.Generate.KeySize = v1.CertificateKeyRSA, 1024
		}, "spec.credentials.certificate.generate", "keySize must be 2048, 3072 or 4096 for RSA"},
		{"unknown key type", func(c *v1.Credentials) {
			c.Certificate.Generate.KeyType = "DSA"
		}, "spec.credentials.certificate.generate.keyType", `Unsupported value: "DSA"`},
		{"secretRef name not a DNS subdomain", func(c *v1.Credentials) {
			c.Certificate.Generate, c.Certificate.SecretRef = nil, &v1.TLSSecretReference{Name: "CRM_TLS"}
		}, "spec.credentials.certificate.secretRef.name", "should match"},
		{"federated name with a slash", func(c *v1.Credentials) {
			c.Federated[0].Name = "crm/prod"
		}, "spec.credentials.federated[0].name", "should match"},
		{"federated name longer than 120", func(c *v1.Credentials) {
			c.Federated[0].Name = strings.Repeat("n", 121)
		}, "spec.credentials.federated[0].name", "may not be more than 120"},
		{"federated name twice", func(c *v1.Credentials) {
			c.Federated[1].Name = c.Federated[0].Name
		}, "spec.credentials.federated[1]", "Duplicate value"},
		{"federated issuer not https", func(c *v1.Credentials) {
			c.Federated[0].Issuer = "http://oidc.cluster.example.com"
		}, "spec.credentials.federated[0].issuer", "must be an https URL"},
		{"federated issuer longer than 600", func(c *v1.Credentials) {
			c.Federated[0].Issuer = "https://oidc.example.com/" + strings.Repeat("i", 600)
		}, "spec.credentials.federated[0].issuer", "may not be more than 600"},
		{"federated subject longer than 600", func(c *v1.Credentials) {
			c.Federated[0].Subject = strings.Repeat("s", 601)
		}, "spec.credentials.federated[0].subject", "may not be more than 600"},
		{"federated issuer and subject pair twice", func(c *v1.Credentials) {
			c.Federated[1].Issuer, c.Federated[1].Subject = c.Federated[0].Issuer, c.Federated[0].Subject
		}, "spec.credentials.federated", "each issuer and subject pair may appear only once"},
		{"federated with two audiences", func(c *v1.Credentials) {
			c.Federated[0].Audiences = []string{"api://AzureADTokenExchange", "api://other"}
		}, "spec.credentials.federated[0].audiences", "must have at most 1 item"},
		{"more than 20 federated credentials", func(c *v1.Credentials) {
			c.Federated = nil
			for i := range 21 {
				c.Federated = append(c.Federated, v1.FederatedCredential{Name: fmt.Sprintf("f%d", i), Issuer: "https://issuer.example.com", Subject: fmt.Sprint(i)})
			}
		}, "spec.credentials.federated", "must have at most 20 items"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := withCredentials(fmt.Sprintf("bad-credentials-%d", i))
			tc.breakIt(obj.Spec.Credentials)
			err := k8sClient.Create(context.Background(), obj)
			if err == nil {
				_ = k8sClient.Delete(context.Background(), obj)
				t.Fatalf("the API server accepted a manifest where %s", tc.name)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want a 422 Invalid error, got %v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.field+":") || !strings.Contains(msg, tc.message) {
				t.Errorf("error does not name %q with %q:\n%s", tc.field, tc.message, msg)
			}
		})
	}
}
