package graphapi

import (
	"net/http"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// The seeded test users are read only.

func listUsers(c *call) (reply, *odata.Error) {
	users := c.tx.Users()
	items := make([]odata.Item, 0, len(users))
	for i, u := range users {
		items = append(items, odata.Item{Seq: int64(i + 1), Object: odata.ToMap(u)})
	}
	return collection("users", items)
}

func getUser(c *call) (reply, *odata.Error) {
	return entity(http.StatusOK, "users", c.user)
}
