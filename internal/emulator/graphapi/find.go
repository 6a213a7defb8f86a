package graphapi

import (
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// finder looks up what a path parameter names, with the directory locked, and records it on the
// call. It returns what it found (nil when nothing), and its stamp when replication lag may hide it
// from reads.
type finder func(c *call, p pathParam) (found any, stamp *directory.Stamp)

// finders, by parameter name. Sub-entities ({fic}, {owner}, {assignment}) are looked up inside
// the entity before them, which an earlier finder found.
var finders = map[string]finder{
	"app": func(c *call, p pathParam) (any, *directory.Stamp) {
		c.app = c.tx.Application(p.key)
		return stamped(c.app)
	},
	"sp": func(c *call, p pathParam) (any, *directory.Stamp) {
		c.sp = c.tx.ServicePrincipal(p.key)
		return stamped(c.sp)
	},
	"grant": func(c *call, p pathParam) (any, *directory.Stamp) {
		c.grant = c.tx.Grant(p.key.Value)
		return stamped(c.grant)
	},
	"user": func(c *call, p pathParam) (any, *directory.Stamp) {
		if u := c.tx.User(p.key.Value); u != nil {
			return u, nil
		}
		return nil, nil
	},
	"assignment": func(c *call, p pathParam) (any, *directory.Stamp) {
		a := c.tx.Assignment(p.key.Value)
		if a == nil || !navigationOf(p.after).holds(a, c.sp.ID) {
			return nil, nil
		}
		c.assignment = a
		return stamped(a)
	},
	"fic": func(c *call, p pathParam) (any, *directory.Stamp) {
		c.fic = slices.IndexFunc(c.app.FederatedIdentityCredentials, func(f directory.FederatedIdentityCredential) bool {
			if strings.EqualFold(p.key.By, propName) {
				return strings.EqualFold(f.Name, p.key.Value)
			}
			return strings.EqualFold(f.ID, p.key.Value)
		})
		if c.fic < 0 {
			return nil, nil
		}
		return &c.app.FederatedIdentityCredentials[c.fic], nil
	},
	"owner": func(c *call, p pathParam) (any, *directory.Stamp) {
		c.owner = strings.ToLower(p.key.Value)
		if !slices.Contains(c.app.Owners, c.owner) {
			return nil, nil
		}
		return c.owner, nil
	},
}

// stamped returns a lookup's object and its stamp, or nils when it found nothing.
func stamped[T any, P interface {
	*T
	Stamp() directory.Stamp
}](obj P) (any, *directory.Stamp) {
	if obj == nil {
		return nil, nil
	}
	s := obj.Stamp()
	return obj, &s
}

// find looks up every parameter of the path in order, then applies the route's rule. What is
// missing is 404, and so is what replication lag still hides from a read; a write goes to the
// primary and sees everything.
func (c *call) find() *odata.Error {
	for _, name := range c.route.paramNames() {
		p := c.params[name]
		obj, stamp := finders[name](c, p)
		found := obj != nil
		if found {
			c.found = obj
		}
		switch {
		case !found && name == "app" && c.route.createsMissing:
			continue
		case !found && !c.who.HasAny(c.route.Roles...):
			// Only a route open to the application itself gets here without a role: it says
			// 403, as every route does to such a caller, and not whether the object exists.
			return odata.Forbidden()
		case !found:
			return odata.NotFound(p.key.Value)
		case !c.route.Write && stamp != nil && !c.tx.Visible(*stamp):
			return odata.NotFound(p.key.Value)
		}
	}
	return c.admitToObject()
}

// owned is a directory object with owners.
type owned interface{ OwnedBy(objectID string) bool }

// admitToObject applies the route's Rule to the application or service principal the path names.
func (c *call) admitToObject() *odata.Error {
	rule := c.route.Rule
	if rule == AnyObject {
		return nil
	}
	if rule == OwnedObjectsOrSelf && c.app != nil && strings.EqualFold(c.who.AppID, c.app.AppID) {
		return nil
	}
	if !c.who.HasAny(c.route.Roles...) {
		return odata.Forbidden()
	}
	var target owned
	switch {
	case c.app != nil:
		target = c.app
	case c.sp != nil:
		target = c.sp
	default:
		// An upsert creating its application: the caller will own what it makes.
		return nil
	}
	if c.who.HasAny(rolesBeyondOwnedBy(c.route.Roles)...) || target.OwnedBy(c.who.ObjectID) {
		return nil
	}
	return odata.Forbidden()
}

// rolesBeyondOwnedBy are the roles that admit a caller to objects it does not own.
func rolesBeyondOwnedBy(roles []string) []string {
	return slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return r == directory.RoleApplicationReadWriteOwnedBy })
}
