package msgraph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

var (
	opReadServicePrincipal   = operation{"read the service principal", graph.PermissionApplicationOwnedBy}
	opCreateServicePrincipal = operation{"create the service principal", graph.PermissionApplicationOwnedBy}
)

// GetServicePrincipal implements graph.ServicePrincipals.
func (c *Client) GetServicePrincipal(ctx context.Context, appID string) (graph.ServicePrincipal, error) {
	var res models.ServicePrincipalable
	err := c.read(opReadServicePrincipal, func() error {
		var err error
		res, err = c.sdk.ServicePrincipalsWithAppId(&appID).Get(ctx,
			&serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
					Select: []string{propID, propAppID},
				},
			})
		return err
	})
	if err != nil {
		return graph.ServicePrincipal{}, err
	}
	if res == nil {
		return graph.ServicePrincipal{}, errEmptyResponse(opReadServicePrincipal)
	}
	return graph.ServicePrincipal{ObjectID: deref(res.GetId()), AppID: deref(res.GetAppId())}, nil
}

// CreateServicePrincipal implements graph.ServicePrincipals.
func (c *Client) CreateServicePrincipal(ctx context.Context, app graph.Application) (graph.ServicePrincipal, error) {
	body := models.NewServicePrincipal()
	body.SetAppId(&app.AppID)
	var res models.ServicePrincipalable
	err := c.write(ctx, opCreateServicePrincipal, appKey(app), func() error {
		var err error
		res, err = c.sdk.ServicePrincipals().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.ServicePrincipal{}, err
	}
	if res == nil {
		return graph.ServicePrincipal{}, errEmptyResponse(opCreateServicePrincipal)
	}
	return graph.ServicePrincipal{ObjectID: deref(res.GetId()), AppID: deref(res.GetAppId())}, nil
}
