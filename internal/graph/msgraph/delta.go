package msgraph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

var (
	opApplicationDelta      = operation{"track changes of applications (delta query)", graph.PermissionApplicationOwnedBy}
	opServicePrincipalDelta = operation{"track changes of service principals (delta query)", graph.PermissionApplicationOwnedBy}
)

// servicePrincipalDeltaSelect is all the operator needs of a service principal: that it exists, and
// for which application.
var servicePrincipalDeltaSelect = []string{propID, propAppID}

// ApplicationDelta implements graph.Delta. The first page selects the same properties as a read of
// one application (applicationSelect), so the mirror holds what a read would have returned.
func (c *Client) ApplicationDelta(ctx context.Context, link string) (graph.DeltaPage[graph.ApplicationChange], error) {
	builder := c.sdk.Applications().Delta()
	var cfg *applications.DeltaRequestBuilderGetRequestConfiguration
	if link == "" {
		cfg = &applications.DeltaRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.DeltaRequestBuilderGetQueryParameters{Select: applicationSelect},
		}
	} else {
		builder = builder.WithUrl(link)
	}
	info, err := builder.ToGetRequestInformation(ctx, cfg)
	if err != nil {
		return graph.DeltaPage[graph.ApplicationChange]{}, c.wrap(opApplicationDelta, err)
	}
	raw, err := c.readRaw(ctx, opApplicationDelta, info)
	if err != nil {
		return graph.DeltaPage[graph.ApplicationChange]{}, err
	}
	return parseDeltaPage(raw, opApplicationDelta, applicationChangeFrom)
}

// ServicePrincipalDelta implements graph.Delta.
func (c *Client) ServicePrincipalDelta(ctx context.Context, link string) (graph.DeltaPage[graph.ServicePrincipalChange], error) {
	builder := c.sdk.ServicePrincipals().Delta()
	var cfg *serviceprincipals.DeltaRequestBuilderGetRequestConfiguration
	if link == "" {
		cfg = &serviceprincipals.DeltaRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.DeltaRequestBuilderGetQueryParameters{Select: servicePrincipalDeltaSelect},
		}
	} else {
		builder = builder.WithUrl(link)
	}
	info, err := builder.ToGetRequestInformation(ctx, cfg)
	if err != nil {
		return graph.DeltaPage[graph.ServicePrincipalChange]{}, c.wrap(opServicePrincipalDelta, err)
	}
	raw, err := c.readRaw(ctx, opServicePrincipalDelta, info)
	if err != nil {
		return graph.DeltaPage[graph.ServicePrincipalChange]{}, err
	}
	return parseDeltaPage(raw, opServicePrincipalDelta, servicePrincipalChangeFrom)
}

// readRaw sends a GET through the SDK's adapter (authentication, retries, error mapping) and returns
// the body as it came. Delta entries must be read as raw JSON: only the raw body tells a property
// that changed to null from one that did not change, and the SDK's models hide @removed.
func (c *Client) readRaw(ctx context.Context, op operation, info *abstractions.RequestInformation) ([]byte, error) {
	var raw []byte
	err := c.read(op, func() error {
		res, err := c.sdk.GetAdapter().SendPrimitive(ctx, info, "[]byte", abstractions.ErrorMappings{
			"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		})
		raw, _ = res.([]byte)
		return err
	})
	if err == nil && len(raw) == 0 {
		return nil, errEmptyResponse(op)
	}
	return raw, err
}

// deltaBody is a delta page as Graph sends it.
type deltaBody struct {
	Value     []map[string]json.RawMessage `json:"value"`
	NextLink  string                       `json:"@odata.nextLink"`
	DeltaLink string                       `json:"@odata.deltaLink"`
}

// parseDeltaPage reads a delta page; entry turns one entry into a change.
func parseDeltaPage[T any](raw []byte, op operation, entry func(item map[string]json.RawMessage, id string, removed bool) (T, error)) (graph.DeltaPage[T], error) {
	var body deltaBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return graph.DeltaPage[T]{}, malformed(op, err)
	}
	if (body.NextLink == "") == (body.DeltaLink == "") {
		return graph.DeltaPage[T]{}, malformed(op, fmt.Errorf("a page needs exactly one of @odata.nextLink and @odata.deltaLink"))
	}
	out := graph.DeltaPage[T]{NextLink: body.NextLink, DeltaLink: body.DeltaLink}
	for _, item := range body.Value {
		var id string
		if err := json.Unmarshal(item["id"], &id); err != nil || id == "" {
			return graph.DeltaPage[T]{}, malformed(op, fmt.Errorf("an entry without an id"))
		}
		_, removed := item["@removed"]
		change, err := entry(item, id, removed)
		if err != nil {
			return graph.DeltaPage[T]{}, malformed(op, err)
		}
		out.Changes = append(out.Changes, change)
	}
	return out, nil
}

// applicationChangeFrom reads one application entry: the properties it carries, parsed by the SDK's
// own model so values read exactly as a GET of the application would read them.
func applicationChangeFrom(item map[string]json.RawMessage, id string, removed bool) (graph.ApplicationChange, error) {
	change := graph.ApplicationChange{ObjectID: id, Removed: removed}
	if removed {
		return change, nil
	}
	for name := range item {
		if !strings.Contains(name, "@") {
			change.Properties = append(change.Properties, name)
		}
	}
	slices.Sort(change.Properties)
	b, err := json.Marshal(item)
	if err != nil {
		return change, err
	}
	node, err := jsonserialization.NewJsonParseNode(b)
	if err != nil {
		return change, err
	}
	parsed, err := node.GetObjectValue(models.CreateApplicationFromDiscriminatorValue)
	if err != nil {
		return change, err
	}
	app, ok := parsed.(models.Applicationable)
	if !ok {
		return change, fmt.Errorf("entry %s is not an application", id)
	}
	change.App = fromSDKApplication(app)
	return change, nil
}

func servicePrincipalChangeFrom(item map[string]json.RawMessage, id string, removed bool) (graph.ServicePrincipalChange, error) {
	change := graph.ServicePrincipalChange{ObjectID: id, Removed: removed}
	if raw, ok := item[propAppID]; ok && !removed {
		if err := json.Unmarshal(raw, &change.AppID); err != nil {
			return change, fmt.Errorf("entry %s: appId: %w", id, err)
		}
	}
	return change, nil
}

// malformed is a delta page Graph answered with but the operator cannot read.
func malformed(op operation, err error) error {
	return &graph.Error{Op: op.name, Permission: op.permission, Status: 200, Kind: graph.KindUnavailable,
		Message: "Microsoft Graph answered with a delta page the operator cannot read: " + err.Error(), Err: err}
}
