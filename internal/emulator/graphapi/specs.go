package graphapi

import (
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// Graph resource (entity type) names, as Graph's error messages name them.
const (
	resourceApplication                 = "Application"
	resourceServicePrincipal            = "ServicePrincipal"
	resourceUser                        = "User"
	resourceDirectoryObject             = "DirectoryObject"
	resourceAppRoleAssignment           = "AppRoleAssignment"
	resourceOAuth2PermissionGrant       = "OAuth2PermissionGrant"
	resourceFederatedIdentityCredential = "FederatedIdentityCredential"
	resourcePasswordCredential          = "PasswordCredential"
	resourceKeyCredential               = "KeyCredential"
)

// Graph property names the handlers address directly: in request bodies, $filter, alternate keys
// (applications(uniqueName='..')) and error targets.
const (
	propID          = "id"
	propAppID       = "appId"
	propDisplayName = "displayName"
	propUniqueName  = "uniqueName"
	propName        = "name"
	propIssuer      = "issuer"
	// propKeyCredentials is application.keyCredentials.
	propKeyCredentials = "keyCredentials"
)

// What each entity type supports in $filter and $select, as Graph documents it for directory
// objects.
var (
	applicationSpec = odata.EntitySpec{
		Name: resourceApplication, Type: "microsoft.graph.application",
		Filterable: map[string]odata.PropKind{
			propID: odata.KindString, propAppID: odata.KindString, propDisplayName: odata.KindString, propUniqueName: odata.KindString,
			"signInAudience": odata.KindString, "publisherDomain": odata.KindString,
			"identifierUris": odata.KindStringCollection, "tags": odata.KindStringCollection,
			"web/redirectUris": odata.KindStringCollection, "spa/redirectUris": odata.KindStringCollection,
			"publicClient/redirectUris": odata.KindStringCollection,
		},
		StartsWith: []string{propDisplayName, propUniqueName},
		Properties: odata.PropertiesOf(directory.EmptyApplication()),
	}
	servicePrincipalSpec = odata.EntitySpec{
		Name: resourceServicePrincipal, Type: "microsoft.graph.servicePrincipal",
		Filterable: map[string]odata.PropKind{
			propID: odata.KindString, propAppID: odata.KindString, propDisplayName: odata.KindString, "servicePrincipalType": odata.KindString,
			"appOwnerOrganizationId": odata.KindString, "accountEnabled": odata.KindBool,
			"servicePrincipalNames": odata.KindStringCollection, "tags": odata.KindStringCollection, "replyUrls": odata.KindStringCollection,
		},
		StartsWith: []string{propDisplayName},
		Properties: odata.PropertiesOf(directory.EmptyServicePrincipal()),
	}
	grantSpec = odata.EntitySpec{
		Name: resourceOAuth2PermissionGrant, Type: "microsoft.graph.oAuth2PermissionGrant",
		Filterable: map[string]odata.PropKind{
			propID: odata.KindString, "clientId": odata.KindString, "resourceId": odata.KindString, "consentType": odata.KindString, "principalId": odata.KindString,
		},
		Properties: odata.PropertiesOf(&directory.OAuth2PermissionGrant{}),
	}
	assignmentSpec = odata.EntitySpec{
		Name: resourceAppRoleAssignment, Type: "microsoft.graph.appRoleAssignment",
		Filterable: map[string]odata.PropKind{
			propID: odata.KindString, "principalId": odata.KindString, "resourceId": odata.KindString, "appRoleId": odata.KindString, "principalType": odata.KindString,
		},
		Properties: odata.PropertiesOf(&directory.AppRoleAssignment{}),
	}
	ficSpec = odata.EntitySpec{
		Name: resourceFederatedIdentityCredential, Type: "microsoft.graph.federatedIdentityCredential",
		Filterable: map[string]odata.PropKind{propID: odata.KindString, propName: odata.KindString, "subject": odata.KindString, propIssuer: odata.KindString},
		StartsWith: []string{propName},
		Properties: odata.PropertiesOf(&directory.FederatedIdentityCredential{}),
	}
	userSpec = odata.EntitySpec{
		Name: resourceUser, Type: "microsoft.graph.user",
		Filterable: map[string]odata.PropKind{
			propID: odata.KindString, "userPrincipalName": odata.KindString, "mail": odata.KindString, propDisplayName: odata.KindString,
			"givenName": odata.KindString, "surname": odata.KindString,
		},
		StartsWith: []string{propDisplayName, "userPrincipalName", "mail", "givenName", "surname"},
		Properties: odata.PropertiesOf(&directory.User{}),
	}
	policySpec = odata.EntitySpec{
		Name: resourcePolicy, Type: "microsoft.graph.tenantAppManagementPolicy",
		Filterable: map[string]odata.PropKind{},
		Properties: odata.PropertiesOf(&directory.TenantAppManagementPolicy{}),
	}
	directoryObjectSpec = odata.EntitySpec{
		Name: resourceDirectoryObject, Type: "microsoft.graph.directoryObject",
		Filterable: map[string]odata.PropKind{propID: odata.KindString},
		Properties: []string{propID},
	}
)
