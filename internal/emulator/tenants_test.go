package emulator_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// TestTenantsAreIsolated: one process, several tenants; each operator sees
// only its own tenant's directory, and a secret only works in its tenant.
func TestTenantsAreIsolated(t *testing.T) {
	const fixed = "11111111-2222-3333-4444-555555555555"
	srv := startServer(t, emulator.Options{Tenants: 2, TenantIDs: []string{fixed}})
	tenants := srv.Tenants()
	if len(tenants) != 2 || tenants[0].ID() != fixed || srv.Tenant(fixed) != tenants[0] {
		t.Fatalf("tenants: %d, first %s", len(tenants), tenants[0].ID())
	}
	a, b := tenants[0], tenants[1]
	gcA := graphClient(t, srv, secretCredential(t, srv, a.ID(), a.OperatorClientID(), a.OperatorClientSecret()))
	created, err := gcA.Applications().Post(ctx(t), newApp("tenant A only"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Application(*created.GetId()); ok {
		t.Error("tenant B stores tenant A's application")
	}
	gcB := graphClient(t, srv, secretCredential(t, srv, b.ID(), b.OperatorClientID(), b.OperatorClientSecret()))
	_, err = gcB.Applications().ByApplicationId(*created.GetId()).Get(ctx(t), nil)
	assertODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

	res := clientSecretToken(t, srv, b.ID(), a.OperatorClientID(), a.OperatorClientSecret())
	if res.Status != http.StatusBadRequest || res.Error != "unauthorized_client" {
		t.Errorf("tenant A's client in tenant B: %d %s", res.Status, res.Error)
	}
}

// TestGzipRequestBody: Graph accepts gzip-compressed JSON (the SDK's
// default).
func TestGzipRequestBody(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	_, cred := operatorCredential(t, srv)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"displayName":"zipped"}`))
	_ = zw.Close()
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, srv.GraphBaseURL()+"/applications", &buf)
	req.Header.Set("Authorization", "Bearer "+accessToken(t, cred))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("gzip create: %d", resp.StatusCode)
	}
	apps := srv.Tenants()[0].Applications()
	if apps[len(apps)-1].DisplayName != "zipped" {
		t.Errorf("stored %q", apps[len(apps)-1].DisplayName)
	}
}
