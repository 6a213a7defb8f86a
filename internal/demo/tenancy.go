package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// The tenancy step's names: a connection to the emulator's tenant that admits the namespaces a
// platform team labels, a team that is admitted, and one that is not.
const (
	tenancyConnection = "demo-tenant"
	tenancyLabel      = "entra.sso-operator.io/demo-tenant"
	admittedNamespace = "team-a"
	strangerNamespace = "team-b"
	adoptingName      = "legacy-crm"
	// operatorNamespace is where the manager looks for connections' credential Secrets: its
	// --operator-namespace default when POD_NAMESPACE is unset, as it is for the demo's manager.
	operatorNamespace = "entra-sso-operator-system"
	graphAppID        = "00000003-0000-0000-c000-000000000000"
)

// tenancyExpectation is what one of the step's AppRegistrations must come to.
type tenancyExpectation struct {
	namespace, name string
	// ready is the Ready status wanted, reason its reason and inMessage a part of its message.
	ready             metav1.ConditionStatus
	reason, inMessage string
}

// demonstrateTenancy shows what a platform team gets from an EntraConnection: a namespace it does
// not admit and a spec outside its policy are refused before anything reaches Entra ID, and an
// application an administrator made in the portal and tagged for adoption is taken over, keeping
// its client ID, and signs users in from the Secret the operator writes.
func (r *runner) demonstrateTenancy(ctx context.Context, kc kubectl, c client.Client, proofClient *http.Client) error {
	fmt.Fprintf(r.out, "Tenants and policy: EntraConnection %s admits namespaces labeled %s=admitted, allows only\n"+
		"single-tenant applications with redirect URIs under .crm.example.com, no implicit grant, and adoption.\n",
		tenancyConnection, tenancyLabel)
	portal, err := r.createPortalApplication(ctx, proofClient, entrav1alpha1.AdoptionTag(admittedNamespace, adoptingName))
	if err != nil {
		return fmt.Errorf("creating the portal application: %w", err)
	}
	fmt.Fprintf(r.out, "An administrator made application %s in the portal and approved its adoption with the tag %s.\n",
		portal.AppID, entrav1alpha1.AdoptionTag(admittedNamespace, adoptingName))
	manifest := r.dir.file("tenancy.yaml")
	if err := os.WriteFile(manifest, []byte(tenancyManifest(r.emulator.creds, portal.AppID)), 0o600); err != nil {
		return err
	}
	if err := r.kubectlStep(ctx, kc, "apply", "-f", manifest); err != nil {
		return err
	}
	want := []tenancyExpectation{
		{admittedNamespace, adoptingName, metav1.ConditionTrue, entrav1alpha1.ReasonSynced, portal.AppID},
		{admittedNamespace, "phishing", metav1.ConditionFalse, entrav1alpha1.ReasonPolicyViolation, "allowedSignInAudiences"},
		{strangerNamespace, "crm", metav1.ConditionFalse, entrav1alpha1.ReasonNamespaceNotAdmitted, strangerNamespace},
	}
	objs, err := waitTenancy(ctx, c, r.manager, r.cfg.ReadyTimeout, want)
	if err != nil {
		return err
	}
	if err := r.kubectlStep(ctx, kc, "get", "appregistrations", "-n", admittedNamespace); err != nil {
		return err
	}
	if err := r.kubectlStep(ctx, kc, "get", "appregistrations", "-n", strangerNamespace); err != nil {
		return err
	}
	var failures []string
	for i, obj := range objs {
		cond := meta.FindStatusCondition(obj.Status.Conditions, entrav1alpha1.ConditionReady)
		fmt.Fprintf(r.out, "  %s/%s: Ready=%s %s: %s\n", obj.Namespace, obj.Name, cond.Status, cond.Reason, cond.Message)
		if want[i].ready == metav1.ConditionFalse && obj.Status.AppID != "" {
			failures = append(failures, fmt.Sprintf("%s/%s was refused, yet status names application %s", obj.Namespace, obj.Name, obj.Status.AppID))
		}
	}
	made, err := r.applicationsFor(ctx, proofClient, objs[1:])
	if err != nil {
		return err
	}
	failures = append(failures, made...)
	adopted := objs[0]
	if adopted.Status.AppID != portal.AppID {
		failures = append(failures, fmt.Sprintf("%s/%s manages application %s, not the adopted %s", adopted.Namespace, adopted.Name, adopted.Status.AppID, portal.AppID))
	}
	secret := sampleReport{obj: adopted}.secretName()
	var data corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: adopted.Namespace, Name: secret}, &data); err != nil {
		return fmt.Errorf("reading Secret %s/%s: %w", adopted.Namespace, secret, err)
	}
	for _, res := range secretproof.Run(ctx, proofClient, data.Data, proversFor(adopted, r.emulator.creds.AuthorityHost)) {
		switch {
		case res.Passed():
			fmt.Fprintf(r.out, "  pass  %s from Secret %s/%s: %s\n", res.Prover, adopted.Namespace, secret, res.Detail)
		case res.Applied():
			failures = append(failures, fmt.Sprintf("%s/%s: %s failed: %v", adopted.Namespace, adopted.Name, res.Prover, res.Err))
		}
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	fmt.Fprintf(r.out, "PASS: the portal application was adopted with its client ID and signs in; the namespace the connection "+
		"does not admit and the spec outside its policy were refused, and nothing was made for them in Entra ID.\n\n")
	return nil
}

// tenancyManifest is what a platform team and two application teams apply: the connection with
// its credential Secret, the teams' namespaces, and three AppRegistrations.
func tenancyManifest(creds emulatorCredentials, adoptAppID string) string {
	t := creds.Tenants[0]
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: v1
kind: Secret
metadata:
  name: %[2]s-credentials
  namespace: %[1]s
stringData:
  AZURE_CLIENT_SECRET: %[3]q
---
apiVersion: entra.sso-operator.io/v1alpha1
kind: EntraConnection
metadata:
  name: %[2]s
spec:
  tenantId: %[4]s
  authorityHost: %[5]s
  graphEndpoint: %[6]s
  credentials:
    clientId: %[7]s
    clientSecret:
      name: %[2]s-credentials
  namespaces:
    selector:
      matchLabels:
        %[8]s: admitted
  policy:
    allowedSignInAudiences: [AzureADMyOrg]
    allowedRedirectHosts: [.crm.example.com]
    allowImplicitGrant: false
    allowAdoption: true
---
apiVersion: v1
kind: Namespace
metadata:
  name: %[9]s
  labels:
    %[8]s: admitted
---
apiVersion: v1
kind: Namespace
metadata:
  name: %[10]s
---
apiVersion: entra.sso-operator.io/v1alpha1
kind: AppRegistration
metadata:
  name: %[11]s
  namespace: %[9]s
spec:
  connection: %[2]s
  adopt:
    appId: %[12]s
  displayName: Legacy CRM
  signInAudience: AzureADMyOrg
  web:
    redirectUris: [https://legacy.crm.example.com/oauth-callback.php]
  credentials:
    clientSecret: {}
  secret:
    format: EspoCRM
---
apiVersion: entra.sso-operator.io/v1alpha1
kind: AppRegistration
metadata:
  name: phishing
  namespace: %[9]s
spec:
  connection: %[2]s
  displayName: Totally the company's CRM
  signInAudience: AzureADMultipleOrgs
  web:
    redirectUris: [https://login.crm-example.net/steal]
---
apiVersion: entra.sso-operator.io/v1alpha1
kind: AppRegistration
metadata:
  name: crm
  namespace: %[10]s
spec:
  connection: %[2]s
  displayName: Team B's CRM
  signInAudience: AzureADMyOrg
  web:
    redirectUris: [https://b.crm.example.com/oauth-callback.php]
`, operatorNamespace, tenancyConnection, t.ClientSecret, t.TenantID, creds.AuthorityHost, creds.GraphBaseURL, t.ClientID,
		tenancyLabel, admittedNamespace, strangerNamespace, adoptingName, adoptAppID)
}

// waitTenancy waits until each expected AppRegistration's Ready condition, for its current
// generation, has the wanted status and reason, and returns them in want's order.
func waitTenancy(ctx context.Context, c client.Client, manager *child, timeout time.Duration, want []tenancyExpectation) ([]entrav1alpha1.AppRegistration, error) {
	out := make([]entrav1alpha1.AppRegistration, len(want))
	var pending []string
	err := pollUntil(ctx, manager, timeout, func() (bool, error) {
		pending = pending[:0]
		for i, w := range want {
			if err := c.Get(ctx, client.ObjectKey{Namespace: w.namespace, Name: w.name}, &out[i]); err != nil {
				return false, fmt.Errorf("reading AppRegistration %s/%s: %w", w.namespace, w.name, err)
			}
			cond := meta.FindStatusCondition(out[i].Status.Conditions, entrav1alpha1.ConditionReady)
			if cond == nil || cond.ObservedGeneration != out[i].Generation || cond.Status != w.ready ||
				cond.Reason != w.reason || !strings.Contains(cond.Message, w.inMessage) {
				state := "no Ready condition yet"
				if cond != nil {
					state = fmt.Sprintf("Ready=%s %s: %s", cond.Status, cond.Reason, cond.Message)
				}
				pending = append(pending, fmt.Sprintf("%s/%s: %s; want Ready=%s %s", w.namespace, w.name, state, w.ready, w.reason))
			}
		}
		return len(pending) == 0, nil
	}, func() error {
		return errors.New("not as expected within " + timeout.String() + ":\n" + indent(strings.Join(pending, "\n"), "    "))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applicationsFor lists, as failures, the applications the emulator holds for refused objects: the
// unique name the operator would have given them ends with their UID.
func (r *runner) applicationsFor(ctx context.Context, hc *http.Client, refused []entrav1alpha1.AppRegistration) ([]string, error) {
	var apps []struct {
		AppID      string `json:"appId"`
		UniqueName string `json:"uniqueName"`
	}
	adminURL := strings.TrimSuffix(r.emulator.creds.AuthorityHost, "/") + "/_emulator/applications"
	if err := doJSON(ctx, hc, http.MethodGet, adminURL, "application/json", nil, "", &apps); err != nil {
		return nil, fmt.Errorf("listing the emulator's applications: %w", err)
	}
	var out []string
	for _, obj := range refused {
		for _, a := range apps {
			if strings.HasSuffix(a.UniqueName, string(obj.UID)) {
				out = append(out, fmt.Sprintf("%s/%s was refused, yet Entra ID holds application %s for it", obj.Namespace, obj.Name, a.AppID))
			}
		}
	}
	return out, nil
}

// portalApplication is the part of Graph's answer the demo uses.
type portalApplication struct {
	ID    string `json:"id"`
	AppID string `json:"appId"`
}

// createPortalApplication makes an application as an administrator would in the portal: a plain
// POST /applications, no unique name, here with the tenant's operator identity (the emulator's
// only one), which makes the operator an owner as Application.ReadWrite.OwnedBy needs.
func (r *runner) createPortalApplication(ctx context.Context, hc *http.Client, tags ...string) (portalApplication, error) {
	creds := r.emulator.creds
	t := creds.Tenants[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {t.ClientID}, "client_secret": {t.ClientSecret},
		"scope": {graphAppID + "/.default"}}
	tokenURL := strings.TrimSuffix(creds.AuthorityHost, "/") + "/" + t.TenantID + "/oauth2/v2.0/token"
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(ctx, hc, http.MethodPost, tokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "", &token); err != nil {
		return portalApplication{}, fmt.Errorf("signing in as the administrator: %w", err)
	}
	body, err := json.Marshal(map[string]any{"displayName": "Legacy CRM (made in the portal)", "signInAudience": "AzureADMyOrg", "tags": tags})
	if err != nil {
		return portalApplication{}, err
	}
	var app portalApplication
	err = doJSON(ctx, hc, http.MethodPost, strings.TrimSuffix(creds.GraphBaseURL, "/")+"/applications", "application/json",
		bytes.NewReader(body), token.AccessToken, &app)
	return app, err
}

// doJSON sends one request and decodes a 2xx JSON answer into out.
func doJSON(ctx context.Context, hc *http.Client, method, target, contentType string, body io.Reader, bearer string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}
