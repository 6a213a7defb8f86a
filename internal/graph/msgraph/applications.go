package msgraph

import (
	"context"
	"slices"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Every application call addresses the application by its unique name
// (/applications(uniqueName='...')), so it can reach only the application the operator manages under
// that name, whatever a status field says.
var (
	opReadApplication   = operation{"read the application", graph.PermissionApplicationOwnedBy}
	opUpsertApplication = operation{"create or update the application", graph.PermissionApplicationOwnedBy}
	opUpdateApplication = operation{"update the application", graph.PermissionApplicationOwnedBy}
	opDeleteApplication = operation{"delete the application", graph.PermissionApplicationOwnedBy}
)

// applicationSelect is what a read of an application asks for: the managed fields, the IDs, and the
// credentials, so that a resync learns what rotation needs from the same one request. Selecting
// keyCredentials on one application is also the only read that returns the certificates themselves
// (key), which a write of the whole keyCredentials collection must send back.
var applicationSelect = func() []string {
	out := make([]string, 0, 5+len(graph.ManagedFields))
	out = append(out, propID, propAppID, "uniqueName", "passwordCredentials", "keyCredentials")
	for _, f := range graph.ManagedFields {
		out = append(out, string(f))
	}
	return out
}()

// GetApplication implements graph.Applications.
func (c *Client) GetApplication(ctx context.Context, uniqueName string) (graph.Application, error) {
	var res models.Applicationable
	err := c.read(opReadApplication, func() error {
		var err error
		res, err = c.sdk.ApplicationsWithUniqueName(&uniqueName).Get(ctx,
			&applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetRequestConfiguration{
				QueryParameters: &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderGetQueryParameters{Select: applicationSelect},
			})
		return err
	})
	if err != nil {
		return graph.Application{}, err
	}
	if res == nil {
		return graph.Application{}, errEmptyResponse(opReadApplication)
	}
	return fromSDKApplication(res), nil
}

// UpsertApplication implements graph.Applications with PATCH /applications(uniqueName='...') and
// Prefer: create-if-missing.
func (c *Client) UpsertApplication(ctx context.Context, uniqueName string, app graph.Application) (graph.Application, bool, error) {
	body := toSDKApplication(app, graph.ManagedFields)
	headers := abstractions.NewRequestHeaders()
	headers.Add("Prefer", "create-if-missing")
	var res models.Applicationable
	err := c.write(ctx, opUpsertApplication, uniqueName, func() error {
		var err error
		res, err = c.sdk.ApplicationsWithUniqueName(&uniqueName).Patch(ctx, body,
			&applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: headers})
		return err
	})
	if err != nil {
		return graph.Application{}, false, err
	}
	if res == nil { // 204: the application existed and was updated
		return graph.Application{UniqueName: uniqueName}, false, nil
	}
	return fromSDKApplication(res), true, nil
}

// UpdateApplication implements graph.Applications. Without Prefer: create-if-missing, a PATCH by
// unique name updates the application that has it and never creates one.
func (c *Client) UpdateApplication(ctx context.Context, uniqueName string, app graph.Application, fields []graph.Field) error {
	if len(fields) == 0 {
		return nil
	}
	body := toSDKApplication(app, fields)
	return c.write(ctx, opUpdateApplication, uniqueName, func() error {
		_, err := c.sdk.ApplicationsWithUniqueName(&uniqueName).Patch(ctx, body, nil)
		return err
	})
}

// DeleteApplication implements graph.Applications.
func (c *Client) DeleteApplication(ctx context.Context, uniqueName string) error {
	return c.write(ctx, opDeleteApplication, uniqueName, func() error {
		return c.sdk.ApplicationsWithUniqueName(&uniqueName).Delete(ctx, nil)
	})
}

var (
	opReadAdoptedApplication   = operation{"read the adopted application", graph.PermissionApplicationOwnedBy}
	opUpdateAdoptedApplication = operation{"update the adopted application", graph.PermissionApplicationOwnedBy}
	opDeleteAdoptedApplication = operation{"delete the adopted application", graph.PermissionApplicationOwnedBy}
)

// adoptedSelect is applicationSelect with the tags, which carry the operator's ownership mark.
var adoptedSelect = append(slices.Clone(applicationSelect), string(graph.FieldTags))

// GetApplicationByAppID implements graph.Applications with /applications(appId='...').
func (c *Client) GetApplicationByAppID(ctx context.Context, appID string) (graph.Application, error) {
	var res models.Applicationable
	err := c.read(opReadAdoptedApplication, func() error {
		var err error
		res, err = c.sdk.ApplicationsWithAppId(&appID).Get(ctx,
			&applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: adoptedSelect},
			})
		return err
	})
	if err != nil {
		return graph.Application{}, err
	}
	if res == nil {
		return graph.Application{}, errEmptyResponse(opReadAdoptedApplication)
	}
	return fromSDKApplication(res), nil
}

// UpdateApplicationByAppID implements graph.Applications.
func (c *Client) UpdateApplicationByAppID(ctx context.Context, appID string, app graph.Application, fields []graph.Field) error {
	if len(fields) == 0 {
		return nil
	}
	body := toSDKApplication(app, fields)
	return c.write(ctx, opUpdateAdoptedApplication, appID, func() error {
		_, err := c.sdk.ApplicationsWithAppId(&appID).Patch(ctx, body, nil)
		return err
	})
}

// DeleteApplicationByAppID implements graph.Applications.
func (c *Client) DeleteApplicationByAppID(ctx context.Context, appID string) error {
	return c.write(ctx, opDeleteAdoptedApplication, appID, func() error {
		return c.sdk.ApplicationsWithAppId(&appID).Delete(ctx, nil)
	})
}
