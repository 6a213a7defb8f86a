package msgraph

import (
	"fmt"
	"net/url"
	"slices"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// toSDKApplication builds a request body holding exactly the given fields of app.
func toSDKApplication(app graph.Application, fields []graph.Field) models.Applicationable {
	out := models.NewApplication()
	for _, f := range fields {
		switch f {
		case graph.FieldDisplayName:
			out.SetDisplayName(ptr(app.DisplayName))
		case graph.FieldTags:
			out.SetTags(nonNil(app.Tags))
		case graph.FieldSignInAudience:
			out.SetSignInAudience(ptr(app.SignInAudience))
		case graph.FieldWeb:
			out.SetWeb(toSDKWeb(app.Web))
		case graph.FieldSPA:
			spa := models.NewSpaApplication()
			spa.SetRedirectUris(nonNil(app.SPARedirectURIs))
			out.SetSpa(spa)
		case graph.FieldPublicClient:
			pc := models.NewPublicClientApplication()
			pc.SetRedirectUris(nonNil(app.PublicClientRedirectURIs))
			out.SetPublicClient(pc)
		case graph.FieldIsFallbackPublicClient:
			out.SetIsFallbackPublicClient(ptr(app.IsFallbackPublicClient))
		case graph.FieldOptionalClaims:
			oc := models.NewOptionalClaims()
			oc.SetIdToken(toSDKClaims(app.OptionalClaims.IDToken))
			oc.SetAccessToken(toSDKClaims(app.OptionalClaims.AccessToken))
			oc.SetSaml2Token(toSDKClaims(app.OptionalClaims.SAML2Token))
			out.SetOptionalClaims(oc)
		case graph.FieldGroupMembershipClaims:
			out.SetGroupMembershipClaims(ptr(app.GroupMembershipClaims))
		case graph.FieldRequiredResourceAccess:
			out.SetRequiredResourceAccess(toSDKResourceAccess(app.RequiredResourceAccess))
		case graph.FieldAPI:
			if app.AccessTokenVersion != 0 {
				api := models.NewApiApplication()
				api.SetRequestedAccessTokenVersion(ptr(app.AccessTokenVersion))
				out.SetApi(api)
			}
		}
	}
	return out
}

func toSDKWeb(w graph.Web) models.WebApplicationable {
	out := models.NewWebApplication()
	out.SetRedirectUris(nonNil(w.RedirectURIs))
	// An empty URL clears the property, which Graph wants as an explicit null.
	nulls := map[string]any{}
	if w.HomePageURL != "" {
		out.SetHomePageUrl(ptr(w.HomePageURL))
	} else {
		nulls["homePageUrl"] = absser.NewUntypedNull()
	}
	if w.LogoutURL != "" {
		out.SetLogoutUrl(ptr(w.LogoutURL))
	} else {
		nulls["logoutUrl"] = absser.NewUntypedNull()
	}
	if len(nulls) > 0 {
		out.SetAdditionalData(nulls)
	}
	grant := models.NewImplicitGrantSettings()
	grant.SetEnableIdTokenIssuance(ptr(w.ImplicitIDTokens))
	grant.SetEnableAccessTokenIssuance(ptr(w.ImplicitAccessTokens))
	out.SetImplicitGrantSettings(grant)
	return out
}

func toSDKClaims(in []graph.OptionalClaim) []models.OptionalClaimable {
	out := make([]models.OptionalClaimable, 0, len(in))
	for _, c := range in {
		oc := models.NewOptionalClaim()
		oc.SetName(ptr(c.Name))
		oc.SetEssential(ptr(c.Essential))
		oc.SetAdditionalProperties(nonNil(c.AdditionalProperties))
		out = append(out, oc)
	}
	return out
}

func fromSDKApplication(in models.Applicationable) graph.Application {
	out := graph.Application{
		ObjectID:               deref(in.GetId()),
		AppID:                  deref(in.GetAppId()),
		UniqueName:             deref(in.GetUniqueName()),
		Tags:                   slices.Clone(in.GetTags()),
		DisplayName:            deref(in.GetDisplayName()),
		SignInAudience:         deref(in.GetSignInAudience()),
		IsFallbackPublicClient: deref(in.GetIsFallbackPublicClient()),
		GroupMembershipClaims:  deref(in.GetGroupMembershipClaims()),
		PasswordCredentials:    fromSDKPasswords(in.GetPasswordCredentials()),
		KeyCredentials:         fromSDKKeys(in.GetKeyCredentials()),
	}
	if w := in.GetWeb(); w != nil {
		out.Web = graph.Web{
			RedirectURIs: slices.Clone(w.GetRedirectUris()),
			HomePageURL:  deref(w.GetHomePageUrl()),
			LogoutURL:    deref(w.GetLogoutUrl()),
		}
		if g := w.GetImplicitGrantSettings(); g != nil {
			out.Web.ImplicitIDTokens = deref(g.GetEnableIdTokenIssuance())
			out.Web.ImplicitAccessTokens = deref(g.GetEnableAccessTokenIssuance())
		}
	}
	if api := in.GetApi(); api != nil {
		out.AccessTokenVersion = deref(api.GetRequestedAccessTokenVersion())
	}
	if s := in.GetSpa(); s != nil {
		out.SPARedirectURIs = slices.Clone(s.GetRedirectUris())
	}
	if p := in.GetPublicClient(); p != nil {
		out.PublicClientRedirectURIs = slices.Clone(p.GetRedirectUris())
	}
	out.RequiredResourceAccess = fromSDKResourceAccess(in.GetRequiredResourceAccess())
	if oc := in.GetOptionalClaims(); oc != nil {
		out.OptionalClaims = graph.OptionalClaims{
			IDToken:     fromSDKClaims(oc.GetIdToken()),
			AccessToken: fromSDKClaims(oc.GetAccessToken()),
			SAML2Token:  fromSDKClaims(oc.GetSaml2Token()),
		}
	}
	return out
}

func fromSDKClaims(in []models.OptionalClaimable) []graph.OptionalClaim {
	if len(in) == 0 {
		return nil
	}
	out := make([]graph.OptionalClaim, 0, len(in))
	for _, c := range in {
		out = append(out, graph.OptionalClaim{
			Name:                 deref(c.GetName()),
			Essential:            deref(c.GetEssential()),
			AdditionalProperties: slices.Clone(c.GetAdditionalProperties()),
		})
	}
	return out
}

func urlHost(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("graph endpoint %q is not an absolute URL", endpoint)
	}
	return u.Hostname(), nil
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// nonNil makes an empty list serialize as [] (which clears it in Graph) rather than be left out.
func nonNil(in []string) []string {
	if in == nil {
		return []string{}
	}
	return in
}
