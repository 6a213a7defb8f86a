package graphapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRouteMatching: paths by ID and by alternate key reach their operation with the key they
// name; unknown paths and methods get Graph's 400 and 405.
func TestRouteMatching(t *testing.T) {
	cases := []struct {
		method, path string
		prefer       string
		op           string
		param, by    string
		value        string
		status       int
		code         string
	}{
		{method: "GET", path: "/v1.0/applications", op: "application.list"},
		{method: "GET", path: "/v1.0/applications/ABC", op: "application.get", param: "app", by: "id", value: "ABC"},
		{method: "GET", path: "/v1.0/applications(appId='a-1')", op: "application.get", param: "app", by: "appId", value: "a-1"},
		{method: "GET", path: "/v1.0/applications(appId=a-1)", op: "application.get", param: "app", by: "appId", value: "a-1"},
		{method: "PATCH", path: "/v1.0/applications(uniqueName='it''s')", op: "application.patch", param: "app", by: "uniqueName", value: "it's"},
		{method: "PATCH", path: "/v1.0/applications(uniqueName='crm')", prefer: "return=minimal, create-if-missing", op: "application.upsert", param: "app", by: "uniqueName", value: "crm"},
		{method: "PATCH", path: "/v1.0/applications/ABC", prefer: "create-if-missing", op: "application.patch", param: "app", by: "id", value: "ABC"},
		{method: "POST", path: "/v1.0/applications/ABC/addPassword", op: "application.addPassword", param: "app", by: "id", value: "ABC"},
		{method: "GET", path: "/v1.0/applications/ABC/federatedIdentityCredentials(name='crm')", op: "federatedIdentityCredential.get", param: "fic", by: "name", value: "crm"},
		{method: "DELETE", path: "/v1.0/applications/ABC/federatedIdentityCredentials/F1", op: "federatedIdentityCredential.delete", param: "fic", by: "id", value: "F1"},
		{method: "POST", path: "/v1.0/applications/ABC/owners/$ref", op: "application.owners.add"},
		{method: "DELETE", path: "/v1.0/applications/ABC/owners/U1/$ref", op: "application.owners.remove", param: "owner", by: "id", value: "U1"},
		{method: "GET", path: "/v1.0/servicePrincipals(appId='g')/appRoleAssignedTo/X", op: "servicePrincipal.appRoleAssignedTo.get", param: "assignment", by: "id", value: "X"},
		{method: "GET", path: "/v1.0/servicePrincipals/S/appRoleAssignments", op: "servicePrincipal.appRoleAssignments.list", param: "sp", by: "id", value: "S"},
		{method: "GET", path: "/v1.0/users/adele@example.com", op: "user.get", param: "user", by: "id", value: "adele@example.com"},
		{method: "GET", path: "/v1.0", status: http.StatusBadRequest, code: "BadRequest"},
		{method: "GET", path: "/v1.0/groups", status: http.StatusBadRequest, code: "BadRequest"},
		{method: "GET", path: "/v1.0/applications/ABC/extensionProperties", status: http.StatusBadRequest, code: "BadRequest"},
		{method: "GET", path: "/v1.0/applications/ABC/addPassword", status: http.StatusMethodNotAllowed, code: "Request_BadRequest"},
		{method: "PUT", path: "/v1.0/applications/ABC", status: http.StatusMethodNotAllowed, code: "Request_BadRequest"},
		{method: "POST", path: "/v1.0/users", status: http.StatusMethodNotAllowed, code: "Request_BadRequest"},
		{method: "GET", path: "/v1.0/applications/ABC/owners/$ref", status: http.StatusMethodNotAllowed, code: "Request_BadRequest"},
		{method: "GET", path: "/v1.0/applications/ABC/owners/U1", status: http.StatusBadRequest, code: "BadRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := httptest.NewRequestWithContext(context.Background(), tc.method, "https://emulator"+tc.path, nil)
			if tc.prefer != "" {
				r.Header.Set("Prefer", tc.prefer)
			}
			rt, p, gerr := route(r)
			if tc.op == "" {
				if gerr == nil || gerr.Status != tc.status || gerr.Code != tc.code {
					t.Fatalf("got route %v, error %v; want %d %s", rt, gerr, tc.status, tc.code)
				}
				return
			}
			if gerr != nil || rt.Op != tc.op {
				t.Fatalf("got %v, %v; want %s", rt, gerr, tc.op)
			}
			if tc.param != "" {
				if k := p[tc.param].key; k.By != tc.by || k.Value != tc.value {
					t.Errorf("{%s} = %+v, want %s=%s", tc.param, k, tc.by, tc.value)
				}
			}
		})
	}
}
