package msgraph

import (
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
	kform "github.com/microsoft/kiota-serialization-form-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	kmultipart "github.com/microsoft/kiota-serialization-multipart-go"
	ktext "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
)

// sdkVersion is the msgraph-sdk-go version in go.mod, sent in the SdkVersion header as the SDK's own
// client sends it (a test checks it against msgraphsdk.GetDefaultClientOptions).
const sdkVersion = "1.89.0"

// defaultClientOptions are msgraph-sdk-go's default client options (msgraphsdk.GetDefaultClientOptions):
// the v1.0 service sends no service version in the telemetry header.
func defaultClientOptions() msgraphcore.GraphClientOptions {
	return msgraphcore.GraphClientOptions{GraphServiceVersion: "", GraphServiceLibraryVersion: sdkVersion}
}

// graphAPI is what the client uses of msgraph-sdk-go's GraphServiceClient, which a test also puts in
// its place to check that both send the same requests.
type graphAPI interface {
	GetAdapter() abstractions.RequestAdapter
	Applications() *applications.ApplicationsRequestBuilder
	ApplicationsWithAppId(appID *string) *applicationswithappid.ApplicationsWithAppIdRequestBuilder
	ApplicationsWithUniqueName(uniqueName *string) *applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilder
	ServicePrincipals() *serviceprincipals.ServicePrincipalsRequestBuilder
	ServicePrincipalsWithAppId(appID *string) *serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilder
	Oauth2PermissionGrants() *oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilder
}

var _ graphAPI = (*graphSDK)(nil)

// graphSDK is the part of msgraph-sdk-go's GraphServiceClient the operator uses, built on the same
// request builders. The SDK's root package links the request builders of all of Graph (drives,
// groups, users, sites, ...): tens of megabytes of the manager's binary and of its resident memory.
// Importing only the sub-packages below keeps the rest out of the binary.
type graphSDK struct {
	adapter    abstractions.RequestAdapter
	pathParams map[string]string
}

// newGraphSDK does what msgraphsdk.NewGraphServiceClient does: it registers kiota's JSON, text, form
// and multipart serializers as the adapter's defaults, enables the adapter's backing store with the
// default factory and takes the adapter's base URL (Graph's v1.0 if unset) as {+baseurl}.
func newGraphSDK(adapter abstractions.RequestAdapter) *graphSDK {
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return kjson.NewJsonSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return ktext.NewTextSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return kform.NewFormSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return kmultipart.NewMultipartSerializationWriterFactory()
	})
	abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory {
		return kjson.NewJsonParseNodeFactory()
	})
	abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory {
		return ktext.NewTextParseNodeFactory()
	})
	abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory {
		return kform.NewFormParseNodeFactory()
	})
	if adapter.GetBaseUrl() == "" {
		adapter.SetBaseUrl("https://graph.microsoft.com/v1.0")
	}
	adapter.EnableBackingStore(store.BackingStoreFactoryInstance)
	return &graphSDK{adapter: adapter, pathParams: map[string]string{"baseurl": adapter.GetBaseUrl()}}
}

// GetAdapter returns the request adapter, for requests no builder covers.
func (s *graphSDK) GetAdapter() abstractions.RequestAdapter { return s.adapter }

// Applications is GraphServiceClient.Applications: /applications.
func (s *graphSDK) Applications() *applications.ApplicationsRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(s.pathParams, s.adapter)
}

// ApplicationsWithAppId is GraphServiceClient.ApplicationsWithAppId: /applications(appId='...').
//
//nolint:revive // the SDK's name, so that its GraphServiceClient fits graphAPI too
func (s *graphSDK) ApplicationsWithAppId(appID *string) *applicationswithappid.ApplicationsWithAppIdRequestBuilder {
	return applicationswithappid.NewApplicationsWithAppIdRequestBuilderInternal(s.pathParams, s.adapter, appID)
}

// ApplicationsWithUniqueName is GraphServiceClient.ApplicationsWithUniqueName:
// /applications(uniqueName='...').
func (s *graphSDK) ApplicationsWithUniqueName(uniqueName *string) *applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilder {
	return applicationswithuniquename.NewApplicationsWithUniqueNameRequestBuilderInternal(s.pathParams, s.adapter, uniqueName)
}

// ServicePrincipals is GraphServiceClient.ServicePrincipals: /servicePrincipals.
func (s *graphSDK) ServicePrincipals() *serviceprincipals.ServicePrincipalsRequestBuilder {
	return serviceprincipals.NewServicePrincipalsRequestBuilderInternal(s.pathParams, s.adapter)
}

// ServicePrincipalsWithAppId is GraphServiceClient.ServicePrincipalsWithAppId:
// /servicePrincipals(appId='...').
//
//nolint:revive // the SDK's name, so that its GraphServiceClient fits graphAPI too
func (s *graphSDK) ServicePrincipalsWithAppId(appID *string) *serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilder {
	return serviceprincipalswithappid.NewServicePrincipalsWithAppIdRequestBuilderInternal(s.pathParams, s.adapter, appID)
}

// Oauth2PermissionGrants is GraphServiceClient.Oauth2PermissionGrants: /oauth2PermissionGrants.
func (s *graphSDK) Oauth2PermissionGrants() *oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilder {
	return oauth2permissiongrants.NewOauth2PermissionGrantsRequestBuilderInternal(s.pathParams, s.adapter)
}
