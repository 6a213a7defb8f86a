package graphapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

func listOwners(c *call) (reply, *odata.Error) {
	var items []odata.Item
	for i, id := range c.app.Owners {
		if obj := directoryObject(c.tx, id); obj != nil {
			items = append(items, odata.Item{Seq: int64(i + 1), Object: obj})
		}
	}
	return collection("directoryObjects", items)
}

// directoryObject renders a service principal or user as a directoryObject with its @odata.type,
// or returns nil when the ID names neither.
func directoryObject(tx *directory.Tx, id string) map[string]any {
	if sp := tx.ServicePrincipal(directory.ByID(id)); sp != nil {
		m := odata.ToMap(sp)
		m["@odata.type"] = "#microsoft.graph.servicePrincipal"
		return m
	}
	if u := tx.User(id); u != nil {
		m := odata.ToMap(u)
		m["@odata.type"] = "#microsoft.graph.user"
		return m
	}
	return nil
}

func addOwner(c *call) (reply, *odata.Error) {
	// The reference lives in "@odata.id", an annotation the decoded body no longer has.
	var ref map[string]any
	if err := json.NewDecoder(bytes.NewReader(c.raw)).Decode(&ref); err != nil {
		return reply{}, odata.BadRequest("Invalid reference body: a JSON object with @odata.id is required.")
	}
	odataID, _ := ref["@odata.id"].(string)
	id := strings.ToLower(odataID[strings.LastIndex(odataID, "/")+1:])
	if id == "" || directoryObject(c.tx, id) == nil {
		return reply{}, odata.NotFound(id)
	}
	if slices.Contains(c.app.Owners, id) {
		return reply{}, odata.BadRequest("One or more added object references already exist for the following modified properties: 'owners'.")
	}
	c.app.Owners = append(c.app.Owners, id)
	return noContent()
}

func removeOwner(c *call) (reply, *odata.Error) {
	c.app.Owners = slices.DeleteFunc(c.app.Owners, func(id string) bool { return id == c.owner })
	return noContent()
}
