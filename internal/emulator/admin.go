package emulator

import (
	"net/http"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// adminPrefix is where the emulator answers about itself, outside Graph (/v1.0) and the identity
// platform (/{tenant}/): for a benchmark or a CI job that runs the emulator as a separate process
// and needs what a test in the same process reads from Server directly. It tells counts and object
// IDs only, never a secret, and changes nothing.
const adminPrefix = "/_emulator/"

// adminApplication is one application as the admin endpoint lists it.
type adminApplication struct {
	TenantID   string `json:"tenantId"`
	ID         string `json:"id"`
	AppID      string `json:"appId"`
	UniqueName string `json:"uniqueName,omitempty"`
}

// serveAdmin answers GET /_emulator/counters (the request counters, as Server.Counters) and
// GET /_emulator/applications (every application of every tenant: IDs and unique name).
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case adminPrefix + "counters":
		wire.WriteJSON(w, http.StatusOK, "application/json", s.Counters())
	case adminPrefix + "applications":
		out := []adminApplication{}
		for _, t := range s.tenants {
			for _, a := range t.Applications() {
				entry := adminApplication{TenantID: t.ID(), ID: a.ID, AppID: a.AppID}
				if a.UniqueName != nil {
					entry.UniqueName = *a.UniqueName
				}
				out = append(out, entry)
			}
		}
		wire.WriteJSON(w, http.StatusOK, "application/json", out)
	default:
		http.NotFound(w, r)
	}
}
