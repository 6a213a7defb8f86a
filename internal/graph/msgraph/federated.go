package msgraph

import (
	"context"
	"slices"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Federated identity credentials, a navigation property of the application: listed only when an
// object declares some or managed some before, so a resync of an object without them costs nothing.
var (
	opListFederated   = operation{"list the federated credentials", graph.PermissionApplicationOwnedBy}
	opCreateFederated = operation{"create a federated credential", graph.PermissionApplicationOwnedBy}
	opUpdateFederated = operation{"update a federated credential", graph.PermissionApplicationOwnedBy}
	opDeleteFederated = operation{"delete a federated credential", graph.PermissionApplicationOwnedBy}
)

// ListFederatedCredentials implements graph.FederatedCredentials. An application holds at most 20,
// which one page always carries.
func (c *Client) ListFederatedCredentials(ctx context.Context, app graph.Application) ([]graph.FederatedCredential, error) {
	var res models.FederatedIdentityCredentialCollectionResponseable
	err := c.read(opListFederated, func() error {
		var err error
		res, err = c.sdk.Applications().ByApplicationId(app.ObjectID).FederatedIdentityCredentials().Get(ctx, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errEmptyResponse(opListFederated)
	}
	out := make([]graph.FederatedCredential, 0, len(res.GetValue()))
	for _, f := range res.GetValue() {
		out = append(out, fromSDKFederated(f))
	}
	return out, nil
}

// CreateFederatedCredential implements graph.FederatedCredentials.
func (c *Client) CreateFederatedCredential(ctx context.Context, app graph.Application, fc graph.FederatedCredential) (graph.FederatedCredential, error) {
	body := toSDKFederated(fc)
	body.SetName(ptr(fc.Name))
	var res models.FederatedIdentityCredentialable
	err := c.write(ctx, opCreateFederated, appKey(app), func() error {
		var err error
		res, err = c.sdk.Applications().ByApplicationId(app.ObjectID).FederatedIdentityCredentials().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.FederatedCredential{}, err
	}
	if res == nil {
		return graph.FederatedCredential{}, errEmptyResponse(opCreateFederated)
	}
	return fromSDKFederated(res), nil
}

// UpdateFederatedCredential implements graph.FederatedCredentials. The name is immutable and not sent.
func (c *Client) UpdateFederatedCredential(ctx context.Context, app graph.Application, fc graph.FederatedCredential) error {
	body := toSDKFederated(fc)
	return c.write(ctx, opUpdateFederated, appKey(app), func() error {
		_, err := c.sdk.Applications().ByApplicationId(app.ObjectID).FederatedIdentityCredentials().
			ByFederatedIdentityCredentialId(fc.ID).Patch(ctx, body, nil)
		return err
	})
}

// DeleteFederatedCredential implements graph.FederatedCredentials.
func (c *Client) DeleteFederatedCredential(ctx context.Context, app graph.Application, id string) error {
	return c.write(ctx, opDeleteFederated, appKey(app), func() error {
		return c.sdk.Applications().ByApplicationId(app.ObjectID).FederatedIdentityCredentials().
			ByFederatedIdentityCredentialId(id).Delete(ctx, nil)
	})
}

// toSDKFederated is the body of a create or update: everything but the name and ID.
func toSDKFederated(fc graph.FederatedCredential) models.FederatedIdentityCredentialable {
	out := models.NewFederatedIdentityCredential()
	out.SetIssuer(ptr(fc.Issuer))
	out.SetSubject(ptr(fc.Subject))
	out.SetAudiences(nonNil(fc.Audiences))
	out.SetDescription(ptr(fc.Description))
	return out
}

func fromSDKFederated(in models.FederatedIdentityCredentialable) graph.FederatedCredential {
	return graph.FederatedCredential{
		ID: deref(in.GetId()), Name: deref(in.GetName()), Issuer: deref(in.GetIssuer()), Subject: deref(in.GetSubject()),
		Audiences: slices.Clone(in.GetAudiences()), Description: deref(in.GetDescription()),
	}
}
