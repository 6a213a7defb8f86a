package secretdata

import "fmt"

// The keys of the SMTP format: what a CRM that sends mail through Exchange Online with SMTP AUTH
// XOAUTH2 asks for (seeds/004: client ID, client secret, tenant ID, SMTP host smtp.office365.com,
// port 587, encryption TLS). The authorization endpoint is where the mailbox's owner signs in
// once, asking for the scope, so the CRM gets a refresh token; the token endpoint is where the
// CRM redeems it for each access token it sends with AUTH XOAUTH2.
const (
	SMTPHost                  = "SMTP_HOST"
	SMTPPort                  = "SMTP_PORT"
	SMTPEncryption            = "SMTP_ENCRYPTION"
	SMTPAuthMechanism         = "SMTP_AUTH_MECHANISM"
	SMTPTenantID              = "SMTP_OAUTH_TENANT_ID"
	SMTPClientID              = "SMTP_OAUTH_CLIENT_ID"
	SMTPClientSecret          = "SMTP_OAUTH_CLIENT_SECRET"
	SMTPAuthorizationEndpoint = "SMTP_OAUTH_AUTHORIZATION_ENDPOINT"
	SMTPTokenEndpoint         = "SMTP_OAUTH_TOKEN_ENDPOINT"
	SMTPScope                 = "SMTP_OAUTH_SCOPE"
)

// The SMTP submission settings of Exchange Online: port 587 with STARTTLS, which the guide and
// PHPMailer (ENCRYPTION_STARTTLS) call "tls", authenticated with XOAUTH2.
const (
	smtpSubmissionPort = "587"
	smtpSTARTTLS       = "tls"
	smtpXOAUTH2        = "XOAUTH2"
	smtpSendPermission = "SMTP.Send"
)

// smtp is a CRM sending mail over SMTP XOAUTH2 with a delegated SMTP.Send token it refreshes.
var smtp = layout{
	keys: []string{SMTPHost, SMTPPort, SMTPEncryption, SMTPAuthMechanism, SMTPTenantID, SMTPClientID, SMTPClientSecret,
		SMTPAuthorizationEndpoint, SMTPTokenEndpoint, SMTPScope},
	clientSecret: SMTPClientSecret,
	render: func(in Input, v Values) (map[string]string, error) {
		scope := in.Cloud.OutlookScope(smtpSendPermission)
		if scope == "" || in.Cloud.SMTPHost == "" {
			return nil, &Error{Reason: fmt.Sprintf("the SMTP format needs Exchange Online's SMTP host and resource, which the operator knows only in the public cloud (not %s); "+
				"use the Generic format and write the keys with spec.secret.templates instead", in.Cloud.Name)}
		}
		return withClientSecret(map[string]string{
			SMTPHost:                  in.Cloud.SMTPHost,
			SMTPPort:                  smtpSubmissionPort,
			SMTPEncryption:            smtpSTARTTLS,
			SMTPAuthMechanism:         smtpXOAUTH2,
			SMTPTenantID:              v.TenantID,
			SMTPClientID:              v.ClientID,
			SMTPAuthorizationEndpoint: v.AuthorizationEndpoint,
			SMTPTokenEndpoint:         v.TokenEndpoint,
			// offline_access: the CRM sends mail long after the administrator signed in once.
			SMTPScope: scope + " " + offlineAccess,
		}, SMTPClientSecret, v), nil
	},
}
