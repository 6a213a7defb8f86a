package graphapi

import (
	"fmt"
	"net/http"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

const setServicePrincipals = "servicePrincipals"

// servicePrincipalCreate is what POST /servicePrincipals accepts.
type servicePrincipalCreate struct {
	AppID                     string   `json:"appId"`
	AccountEnabled            *bool    `json:"accountEnabled"`
	AppRoleAssignmentRequired *bool    `json:"appRoleAssignmentRequired"`
	Tags                      []string `json:"tags"`
	Notes                     *string  `json:"notes"`
}

func createServicePrincipal(c *call) (reply, *odata.Error) {
	var in servicePrincipalCreate
	if gerr := decodeInto(c.body, &in, resourceServicePrincipal); gerr != nil {
		return reply{}, gerr
	}
	if in.AppID == "" {
		return reply{}, odata.InvalidValue(propAppID, resourceServicePrincipal, "The appId is required.")
	}
	if c.tx.ServicePrincipalByAppID(in.AppID) != nil {
		return reply{}, errSameKey(fmt.Sprintf("The service principal cannot be created, updated, or restored because the service principal name %s is already in use.", in.AppID))
	}
	// Entra replicates a new application to the replica serving service principal creation a
	// little later; until then, and for appIds that do not exist at all, the answer is
	// NoBackingApplicationObject.
	a := c.tx.ApplicationByAppID(in.AppID)
	if a == nil || !c.tx.Visible(a.Stamp()) {
		msg := fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", in.AppID)
		return reply{}, &odata.Error{Status: http.StatusBadRequest, Code: odata.CodeRequestBadRequest, Message: msg,
			Details: []odata.ErrorDetail{{Code: "NoBackingApplicationObject", Message: msg, Target: propAppID}}}
	}
	sp := directory.NewServicePrincipalFor(a, c.dir.ID())
	if in.AccountEnabled != nil {
		sp.AccountEnabled = *in.AccountEnabled
	}
	if in.AppRoleAssignmentRequired != nil {
		sp.AppRoleAssignmentRequired = *in.AppRoleAssignmentRequired
	}
	if in.Tags != nil {
		sp.Tags = in.Tags
	}
	sp.Notes = in.Notes
	if !c.who.User && c.who.ObjectID != "" {
		sp.Owners = []string{c.who.ObjectID}
	}
	c.tx.AddServicePrincipal(sp, c.now)
	return entity(http.StatusCreated, setServicePrincipals, sp)
}

// servicePrincipalPatch lists the properties PATCH may change.
type servicePrincipalPatch struct {
	AccountEnabled            *bool     `json:"accountEnabled"`
	AppRoleAssignmentRequired *bool     `json:"appRoleAssignmentRequired"`
	Tags                      *[]string `json:"tags"`
	Notes                     *string   `json:"notes"`
}

func patchServicePrincipal(c *call) (reply, *odata.Error) {
	var in servicePrincipalPatch
	if gerr := decodeInto(c.body, &in, resourceServicePrincipal); gerr != nil {
		return reply{}, gerr
	}
	if in.AccountEnabled != nil {
		c.sp.AccountEnabled = *in.AccountEnabled
	}
	if in.AppRoleAssignmentRequired != nil {
		c.sp.AppRoleAssignmentRequired = *in.AppRoleAssignmentRequired
	}
	if in.Tags != nil {
		c.sp.Tags = append([]string{}, *in.Tags...)
	}
	if _, ok := c.body["notes"]; ok {
		c.sp.Notes = in.Notes
	}
	return noContent()
}

func deleteServicePrincipal(c *call) (reply, *odata.Error) {
	if c.sp.AppOwnerOrganizationID == directory.MicrosoftTenantID {
		return reply{}, odata.BadRequest("Service principals of Microsoft first-party applications cannot be deleted in this emulator.")
	}
	c.tx.DeleteServicePrincipal(c.sp.ID)
	return noContent()
}
