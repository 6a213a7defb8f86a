package emulator_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator"
)

// TestServicePrincipalPatchAndDelete: PATCH changes a service principal, DELETE removes it (by id or
// by appId) while its application stays, and a caller without a write role gets 403 whether or not
// the service principal exists, so a refusal reveals nothing.
func TestServicePrincipalPatchAndDelete(t *testing.T) {
	srv := startServer(t, emulator.Options{})
	tenant, opCred := operatorCredential(t, srv)
	c := ctx(t)
	gc := graphClient(t, srv, opCred)
	objectID, appID := newAppWithSP(t, gc, "crm")
	sp, ok := tenant.ServicePrincipalByAppID(appID)
	if !ok {
		t.Fatal("no service principal after create")
	}

	readerID, readerSecret := tenant.AddClient(emulator.RoleApplicationReadAll)
	reader := graphClient(t, srv, secretCredential(t, srv, tenant.ID(), readerID, readerSecret))
	err := reader.ServicePrincipals().ByServicePrincipalId(sp.ID).Delete(c, nil)
	assertODataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
	err = reader.ServicePrincipals().ByServicePrincipalId("00000000-0000-0000-0000-000000000001").Delete(c, nil)
	assertODataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")

	patch := models.NewServicePrincipal()
	patch.SetTags([]string{"crm", "WindowsAzureActiveDirectoryIntegratedApp"})
	if _, err := gc.ServicePrincipals().ByServicePrincipalId(sp.ID).Patch(c, patch, nil); err != nil {
		t.Fatalf("patch: %v", err)
	}
	if got, _ := tenant.ServicePrincipalByAppID(appID); !slices.Equal(got.Tags, []string{"crm", "WindowsAzureActiveDirectoryIntegratedApp"}) {
		t.Errorf("tags after PATCH = %v", got.Tags)
	}

	if err := gc.ServicePrincipalsWithAppId(&appID).Delete(c, nil); err != nil {
		t.Fatalf("delete by appId: %v", err)
	}
	if _, ok := tenant.ServicePrincipalByAppID(appID); ok {
		t.Error("the service principal is still there")
	}
	if _, ok := tenant.Application(objectID); !ok {
		t.Error("deleting the service principal deleted its application")
	}
	err = gc.ServicePrincipals().ByServicePrincipalId(sp.ID).Delete(c, nil)
	assertODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
}
