// Package cloud knows the Microsoft Entra ID endpoints of each national cloud and derives a tenant's
// OpenID Connect endpoints from them, so the Secret a workload reads names the same URLs the tenant's
// discovery document publishes, without a network call.
package cloud

import (
	"fmt"
	"net/url"
	"strings"
)

// Cloud is one Entra ID deployment: where tokens come from and where Microsoft Graph lives.
type Cloud struct {
	// Name is how the --cloud flag spells it.
	Name string
	// AuthorityHost is the identity platform's root, with a trailing slash
	// (https://login.microsoftonline.com/).
	AuthorityHost string
	// IssuerHost is the root the tokens' issuer claim uses, when it differs from AuthorityHost
	// (Azure China issues tokens as login.partner.microsoftonline.cn). Empty means AuthorityHost.
	IssuerHost string
	// GraphEndpoint is Microsoft Graph's root, without the version (https://graph.microsoft.com).
	GraphEndpoint string
	// GraphResource is the audience Graph tokens are requested for. It stays the cloud's own when
	// GraphEndpoint is overridden: a proxy or emulator in front of Graph accepts Graph's tokens.
	GraphResource string
	// OutlookResource is Exchange Online's resource for the mail protocols' delegated scopes
	// (https://outlook.office.com/SMTP.Send), and SMTPHost its SMTP submission host. They are filled
	// in only where Microsoft documents them (the public cloud); empty elsewhere, and the Secret
	// formats that need them say so instead of guessing a sovereign cloud's hosts.
	OutlookResource string
	SMTPHost        string
}

// The national clouds. Their hosts are documented on Microsoft's "National cloud deployments" pages.
var (
	Public = Cloud{
		Name:            "AzurePublic",
		AuthorityHost:   "https://login.microsoftonline.com/",
		GraphEndpoint:   "https://graph.microsoft.com",
		GraphResource:   "https://graph.microsoft.com",
		OutlookResource: "https://outlook.office.com",
		SMTPHost:        "smtp.office365.com",
	}
	USGovernment = Cloud{
		Name:          "AzureUSGovernment",
		AuthorityHost: "https://login.microsoftonline.us/",
		GraphEndpoint: "https://graph.microsoft.us",
		GraphResource: "https://graph.microsoft.us",
	}
	USGovernmentDoD = Cloud{
		Name:          "AzureUSGovernmentDoD",
		AuthorityHost: "https://login.microsoftonline.us/",
		GraphEndpoint: "https://dod-graph.microsoft.us",
		GraphResource: "https://dod-graph.microsoft.us",
	}
	China = Cloud{
		Name:          "AzureChina",
		AuthorityHost: "https://login.chinacloudapi.cn/",
		IssuerHost:    "https://login.partner.microsoftonline.cn/",
		GraphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
		GraphResource: "https://microsoftgraph.chinacloudapi.cn",
	}
)

// Known lists the clouds by flag name.
var Known = []Cloud{Public, USGovernment, USGovernmentDoD, China}

// ByName returns the cloud the --cloud flag names, case-insensitively.
func ByName(name string) (Cloud, error) {
	names := make([]string, 0, len(Known))
	for _, c := range Known {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return Cloud{}, fmt.Errorf("unknown cloud %q: want one of %s", name, strings.Join(names, ", "))
}

// WithOverrides replaces the authority host and Graph endpoint where they are set, for a private
// endpoint, a proxy or the Entra emulator. Overriding the authority also makes it the issuer host.
func (c Cloud) WithOverrides(authorityHost, graphEndpoint string) (Cloud, error) {
	if authorityHost != "" {
		u, err := url.Parse(authorityHost)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return Cloud{}, fmt.Errorf("authority host %q must be an absolute https URL", authorityHost)
		}
		c.AuthorityHost = strings.TrimSuffix(authorityHost, "/") + "/"
		c.IssuerHost = ""
	}
	if graphEndpoint != "" {
		u, err := url.Parse(graphEndpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return Cloud{}, fmt.Errorf("graph endpoint %q must be an absolute https URL", graphEndpoint)
		}
		c.GraphEndpoint = strings.TrimSuffix(strings.TrimSuffix(graphEndpoint, "/"), "/v1.0")
	}
	return c, nil
}

// GraphBaseURL is the Graph v1.0 root the SDK sends requests to.
func (c Cloud) GraphBaseURL() string { return c.GraphEndpoint + "/v1.0" }

// GraphScope is the scope an app-only token for Graph is requested with.
func (c Cloud) GraphScope() string { return c.GraphResource + "/.default" }

// GraphAudienceWarning explains the risk when the Graph endpoint points away from the host of the
// audience tokens are requested for: every request hands that endpoint a token Microsoft Graph
// accepts. Right for the Entra emulator or a trusted proxy, a token leak for anything else. It
// returns "" when the endpoint is the audience's own host.
func (c Cloud) GraphAudienceWarning() string {
	endpoint, errE := url.Parse(c.GraphEndpoint)
	audience, errA := url.Parse(c.GraphResource)
	if errE != nil || errA != nil || strings.EqualFold(endpoint.Hostname(), audience.Hostname()) {
		return ""
	}
	return fmt.Sprintf("--graph-endpoint %s is not %s, yet tokens are requested for %s: that endpoint receives "+
		"tokens valid for Microsoft Graph. Use this only with the Entra emulator or a proxy you trust.",
		c.GraphEndpoint, c.GraphResource, c.GraphScope())
}

// OutlookScope is the delegated scope a client requests for one of Exchange Online's mail
// protocol permissions (IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send): the permission
// qualified by Exchange Online's resource, as Microsoft's "Authenticate an IMAP, POP or SMTP
// connection using OAuth" lists them. "" when the cloud's Exchange Online resource is unknown.
func (c Cloud) OutlookScope(permission string) string {
	if c.OutlookResource == "" {
		return ""
	}
	return c.OutlookResource + "/" + permission
}

// Endpoints are a tenant's OpenID Connect endpoints (v2.0), as its discovery document lists them.
type Endpoints struct {
	Issuer                      string
	DiscoveryURL                string
	AuthorizationEndpoint       string
	TokenEndpoint               string
	JWKSURI                     string
	EndSessionEndpoint          string
	UserinfoEndpoint            string
	DeviceAuthorizationEndpoint string
}

// Endpoints returns the OpenID Connect endpoints of the tenant.
func (c Cloud) Endpoints(tenantID string) Endpoints {
	base := c.AuthorityHost + tenantID
	issuer := c.IssuerHost
	if issuer == "" {
		issuer = c.AuthorityHost
	}
	return Endpoints{
		Issuer:                      issuer + tenantID + "/v2.0",
		DiscoveryURL:                base + "/v2.0/.well-known/openid-configuration",
		AuthorizationEndpoint:       base + "/oauth2/v2.0/authorize",
		TokenEndpoint:               base + "/oauth2/v2.0/token",
		JWKSURI:                     base + "/discovery/v2.0/keys",
		EndSessionEndpoint:          base + "/oauth2/v2.0/logout",
		UserinfoEndpoint:            c.GraphEndpoint + "/oidc/userinfo",
		DeviceAuthorizationEndpoint: base + "/oauth2/v2.0/devicecode",
	}
}
