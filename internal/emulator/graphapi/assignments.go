package graphapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// App role assignments are application permission consent. A service principal has two
// collections of them: appRoleAssignedTo, the assignments of its own app roles (it is the
// resource), and appRoleAssignments, those made to it (it is the principal).

// navigation is which of the two collections a path addresses.
type navigation bool

const (
	asResource  navigation = true
	asPrincipal navigation = false

	navAppRoleAssignedTo  = "appRoleAssignedTo"
	navAppRoleAssignments = "appRoleAssignments"
)

// navigationOf names the collection of a path segment.
func navigationOf(segment string) navigation { return segment == navAppRoleAssignedTo }

func (n navigation) String() string {
	if n == asResource {
		return navAppRoleAssignedTo
	}
	return navAppRoleAssignments
}

// holds reports whether the collection of the service principal spID holds a.
func (n navigation) holds(a *directory.AppRoleAssignment, spID string) bool {
	if n == asResource {
		return a.ResourceID == spID
	}
	return a.PrincipalID == spID
}

func (n navigation) set(c *call) string {
	return fmt.Sprintf("servicePrincipals('%s')/%s", c.sp.ID, n)
}

func listAssignments(n navigation) handler {
	return func(c *call) (reply, *odata.Error) {
		held := func(a *directory.AppRoleAssignment) bool { return n.holds(a, c.sp.ID) }
		return collection(n.set(c), visibleItems(c, c.tx.Assignments(), held))
	}
}

// assignmentCreate is what POST .../appRoleAssignedTo and .../appRoleAssignments accept.
type assignmentCreate struct {
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
	AppRoleID   string `json:"appRoleId"`
}

func createAssignment(n navigation) handler {
	return func(c *call) (reply, *odata.Error) {
		var in assignmentCreate
		if gerr := decodeInto(c.body, &in, resourceAppRoleAssignment); gerr != nil {
			return reply{}, gerr
		}
		in.PrincipalID, in.ResourceID, in.AppRoleID = strings.ToLower(in.PrincipalID), strings.ToLower(in.ResourceID), strings.ToLower(in.AppRoleID)
		if n == asResource && in.ResourceID != c.sp.ID {
			return reply{}, odata.InvalidValue("resourceId", resourceAppRoleAssignment, "The resourceId must be the service principal in the URL.")
		}
		if n == asPrincipal && in.PrincipalID != c.sp.ID {
			return reply{}, odata.InvalidValue("principalId", resourceAppRoleAssignment, "The principalId must be the service principal in the URL.")
		}
		a, gerr := newAssignment(c, in)
		if gerr != nil {
			return reply{}, gerr
		}
		c.tx.AddAssignment(a, c.now)
		return entity(http.StatusCreated, n.set(c), a)
	}
}

// newAssignment checks that the resource, the principal and an enabled app role exist and that
// the principal does not hold the role yet.
func newAssignment(c *call, in assignmentCreate) (*directory.AppRoleAssignment, *odata.Error) {
	resource := c.tx.ServicePrincipal(directory.ByID(in.ResourceID))
	if resource == nil {
		return nil, odata.NotFound(in.ResourceID)
	}
	principalName, principalType := "", ""
	if p := c.tx.ServicePrincipal(directory.ByID(in.PrincipalID)); p != nil {
		principalName, principalType = p.DisplayName, directory.PrincipalTypeServicePrincipal
	} else if u := c.tx.User(in.PrincipalID); u != nil {
		principalName, principalType = u.DisplayName, directory.PrincipalTypeUser
	} else {
		return nil, odata.NotFound(in.PrincipalID)
	}
	enabled := false
	for _, r := range resource.AppRoles {
		enabled = enabled || (strings.EqualFold(r.ID, in.AppRoleID) && r.IsEnabled)
	}
	if !enabled {
		return nil, odata.BadRequest("Permission being assigned was not found on application '%s'.", resource.AppID)
	}
	for _, a := range c.tx.Assignments() {
		if a.PrincipalID == in.PrincipalID && a.ResourceID == in.ResourceID && a.AppRoleID == in.AppRoleID {
			return nil, odata.BadRequest("Permission being assigned already exists on the object.")
		}
	}
	return &directory.AppRoleAssignment{
		ID: uuid.NewString(), AppRoleID: in.AppRoleID, CreatedDateTime: c.now.UTC(),
		PrincipalDisplayName: principalName, PrincipalID: in.PrincipalID, PrincipalType: principalType,
		ResourceDisplayName: resource.DisplayName, ResourceID: resource.ID,
	}, nil
}

func deleteAssignment(c *call) (reply, *odata.Error) {
	c.tx.DeleteAssignment(c.assignment.ID)
	return noContent()
}
