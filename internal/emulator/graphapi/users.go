package graphapi

import (
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// The seeded test users are read only.

const setUsers = "users"

func listUsers(c *call) (reply, *odata.Error) {
	users := c.tx.Users()
	items := make([]odata.Item, 0, len(users))
	for i, u := range users {
		items = append(items, odata.Item{Seq: int64(i + 1), Object: odata.ToMap(u)})
	}
	return collection(setUsers, items)
}
