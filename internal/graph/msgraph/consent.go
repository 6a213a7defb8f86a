package msgraph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Consent: the permissions a resource publishes, tenant-wide delegated grants and app role
// assignments of the application's own service principal.
var (
	opReadResource     = operation{"read the permissions the resource publishes", graph.PermissionApplicationOwnedBy}
	opListGrants       = operation{"read the delegated consent of the service principal", graph.PermissionDelegatedGrantReadWriteAll}
	opCreateGrant      = operation{"grant delegated consent", graph.PermissionDelegatedGrantReadWriteAll}
	opUpdateGrant      = operation{"change delegated consent", graph.PermissionDelegatedGrantReadWriteAll}
	opDeleteGrant      = operation{"revoke delegated consent", graph.PermissionDelegatedGrantReadWriteAll}
	opListAssignments  = operation{"read the application permissions of the service principal", graph.PermissionApplicationOwnedBy}
	opAssignAppRole    = operation{"grant an application permission", graph.PermissionAppRoleAssignmentReadWriteAll}
	opRemoveAssignment = operation{"revoke an application permission", graph.PermissionAppRoleAssignmentReadWriteAll}
	// resourceSelect is all a resource read needs; Microsoft Graph's service principal is large.
	resourceSelect      = []string{propID, propAppID, "displayName", "appRoles", "oauth2PermissionScopes"}
	errAssignmentNoUUID = errors.New("an ID of the app role assignment is not a GUID")
)

const (
	// consentTypeAll is the consentType of tenant-wide (admin) delegated consent.
	consentTypeAll = "AllPrincipals"
	// memberTypeApp marks app roles that applications may hold: application permissions.
	memberTypeApp = "Application"
)

// maxPages bounds how many pages one list follows. A service principal has one tenant-wide grant per
// resource and a few app roles; thousands of pages would mean a loop in the nextLinks.
const maxPages = 100

// GetResource implements graph.Resources.
func (c *Client) GetResource(ctx context.Context, appID string) (graph.Resource, error) {
	var res models.ServicePrincipalable
	err := c.read(opReadResource, func() error {
		var err error
		res, err = c.sdk.ServicePrincipalsWithAppId(&appID).Get(ctx,
			&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: resourceSelect},
			})
		return err
	})
	if err != nil {
		return graph.Resource{}, err
	}
	if res == nil {
		return graph.Resource{}, errEmptyResponse(opReadResource)
	}
	out := graph.Resource{ObjectID: deref(res.GetId()), AppID: deref(res.GetAppId()), DisplayName: deref(res.GetDisplayName())}
	for _, s := range res.GetOauth2PermissionScopes() {
		out.Scopes = append(out.Scopes, graph.Permission{ID: uuidString(s.GetId()), Value: deref(s.GetValue()), Enabled: deref(s.GetIsEnabled())})
	}
	for _, r := range res.GetAppRoles() {
		if !containsFold(r.GetAllowedMemberTypes(), memberTypeApp) {
			continue // a role for users and groups, not an application permission
		}
		out.Roles = append(out.Roles, graph.Permission{ID: uuidString(r.GetId()), Value: deref(r.GetValue()), Enabled: deref(r.GetIsEnabled())})
	}
	return out, nil
}

// ListDelegatedGrants implements graph.DelegatedGrants. Grants one user gave for themselves
// (consentType Principal) are left out by the filter: there may be one per user, and they are not
// the operator's business.
func (c *Client) ListDelegatedGrants(ctx context.Context, clientID string) ([]graph.DelegatedGrant, error) {
	filter := fmt.Sprintf("clientId eq '%s' and consentType eq '%s'", odataString(clientID), consentTypeAll)
	var out []graph.DelegatedGrant
	var next *string
	for page := 0; page == 0 || next != nil; page++ {
		if page == maxPages {
			return nil, c.wrap(opListGrants, fmt.Errorf("more than %d pages of grants", maxPages))
		}
		var res models.OAuth2PermissionGrantCollectionResponseable
		err := c.read(opListGrants, func() error {
			var err error
			if next == nil {
				res, err = c.sdk.Oauth2PermissionGrants().Get(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
					QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter},
				})
			} else {
				res, err = c.sdk.Oauth2PermissionGrants().WithUrl(*next).Get(ctx, nil)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if res == nil {
			return nil, errEmptyResponse(opListGrants)
		}
		for _, g := range res.GetValue() {
			if !strings.EqualFold(deref(g.GetConsentType()), consentTypeAll) {
				continue
			}
			out = append(out, graph.DelegatedGrant{
				ID: deref(g.GetId()), ClientID: deref(g.GetClientId()), ResourceID: deref(g.GetResourceId()),
				Scopes: strings.Fields(deref(g.GetScope())),
			})
		}
		next = res.GetOdataNextLink()
	}
	return out, nil
}

// CreateDelegatedGrant implements graph.DelegatedGrants.
func (c *Client) CreateDelegatedGrant(ctx context.Context, uniqueName string, g graph.DelegatedGrant) (graph.DelegatedGrant, error) {
	body := models.NewOAuth2PermissionGrant()
	body.SetClientId(ptr(g.ClientID))
	body.SetConsentType(ptr(consentTypeAll))
	body.SetResourceId(ptr(g.ResourceID))
	body.SetScope(ptr(strings.Join(g.Scopes, " ")))
	var res models.OAuth2PermissionGrantable
	err := c.write(ctx, opCreateGrant, uniqueName, func() error {
		var err error
		res, err = c.sdk.Oauth2PermissionGrants().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.DelegatedGrant{}, err
	}
	if res == nil {
		return graph.DelegatedGrant{}, errEmptyResponse(opCreateGrant)
	}
	g.ID = deref(res.GetId())
	return g, nil
}

// UpdateDelegatedGrant implements graph.DelegatedGrants.
func (c *Client) UpdateDelegatedGrant(ctx context.Context, uniqueName, id string, scopes []string) error {
	body := models.NewOAuth2PermissionGrant()
	body.SetScope(ptr(strings.Join(scopes, " ")))
	return c.write(ctx, opUpdateGrant, uniqueName, func() error {
		_, err := c.sdk.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(id).Patch(ctx, body, nil)
		return err
	})
}

// DeleteDelegatedGrant implements graph.DelegatedGrants.
func (c *Client) DeleteDelegatedGrant(ctx context.Context, uniqueName, id string) error {
	err := c.write(ctx, opDeleteGrant, uniqueName, func() error {
		return c.sdk.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(id).Delete(ctx, nil)
	})
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	return err
}

// ListAppRoleAssignments implements graph.AppRoleAssignments.
func (c *Client) ListAppRoleAssignments(ctx context.Context, principalID string) ([]graph.AppRoleAssignment, error) {
	var out []graph.AppRoleAssignment
	var next *string
	for page := 0; page == 0 || next != nil; page++ {
		if page == maxPages {
			return nil, c.wrap(opListAssignments, fmt.Errorf("more than %d pages of app role assignments", maxPages))
		}
		var res models.AppRoleAssignmentCollectionResponseable
		err := c.read(opListAssignments, func() error {
			var err error
			b := c.sdk.ServicePrincipals().ByServicePrincipalId(principalID).AppRoleAssignments()
			if next == nil {
				res, err = b.Get(ctx, nil)
			} else {
				res, err = b.WithUrl(*next).Get(ctx, nil)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if res == nil {
			return nil, errEmptyResponse(opListAssignments)
		}
		for _, a := range res.GetValue() {
			out = append(out, graph.AppRoleAssignment{
				ID: deref(a.GetId()), PrincipalID: uuidString(a.GetPrincipalId()),
				ResourceID: uuidString(a.GetResourceId()), AppRoleID: uuidString(a.GetAppRoleId()),
			})
		}
		next = res.GetOdataNextLink()
	}
	return out, nil
}

// AssignAppRole implements graph.AppRoleAssignments with POST
// /servicePrincipals/{resource}/appRoleAssignedTo, as Graph's consent documentation does.
func (c *Client) AssignAppRole(ctx context.Context, uniqueName string, a graph.AppRoleAssignment) (graph.AppRoleAssignment, error) {
	principal, errP := uuid.Parse(a.PrincipalID)
	resource, errR := uuid.Parse(a.ResourceID)
	role, errA := uuid.Parse(a.AppRoleID)
	if err := errors.Join(errP, errR, errA); err != nil {
		return graph.AppRoleAssignment{}, c.wrap(opAssignAppRole, fmt.Errorf("%w: %w", errAssignmentNoUUID, err))
	}
	body := models.NewAppRoleAssignment()
	body.SetPrincipalId(&principal)
	body.SetResourceId(&resource)
	body.SetAppRoleId(&role)
	var res models.AppRoleAssignmentable
	err := c.write(ctx, opAssignAppRole, uniqueName, func() error {
		var err error
		res, err = c.sdk.ServicePrincipals().ByServicePrincipalId(a.ResourceID).AppRoleAssignedTo().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.AppRoleAssignment{}, err
	}
	if res == nil {
		return graph.AppRoleAssignment{}, errEmptyResponse(opAssignAppRole)
	}
	a.ID = deref(res.GetId())
	return a, nil
}

// RemoveAppRoleAssignment implements graph.AppRoleAssignments.
func (c *Client) RemoveAppRoleAssignment(ctx context.Context, uniqueName string, a graph.AppRoleAssignment) error {
	err := c.write(ctx, opRemoveAssignment, uniqueName, func() error {
		return c.sdk.ServicePrincipals().ByServicePrincipalId(a.PrincipalID).AppRoleAssignments().ByAppRoleAssignmentId(a.ID).Delete(ctx, nil)
	})
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	return err
}

func uuidString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// odataString escapes a value for a single-quoted OData string literal.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }
