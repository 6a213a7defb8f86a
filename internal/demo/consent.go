package demo

import (
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

// demoConsentAllow is what the demo's operator may grant (--consent-allow): the delegated
// permissions the OroCRM and SMTP samples declare and the application permissions of the 3CX
// sample, and nothing more.
var demoConsentAllow = strings.Join([]string{
	"MicrosoftGraph:delegated:openid", "MicrosoftGraph:delegated:profile", "MicrosoftGraph:delegated:email",
	"MicrosoftGraph:delegated:offline_access", "MicrosoftGraph:delegated:User.Read",
	"MicrosoftGraph:delegated:IMAP.AccessAsUser.All", "MicrosoftGraph:delegated:POP.AccessAsUser.All", "MicrosoftGraph:delegated:SMTP.Send",
	"MicrosoftGraph:application:User.Read.All", "MicrosoftGraph:application:Calendars.Read",
	"MicrosoftGraph:application:Contacts.Read", "MicrosoftGraph:application:Mail.Send",
}, ",")

// grantedGraphRoles are the Microsoft Graph application permissions status reports consented.
func grantedGraphRoles(obj entrav1alpha1.AppRegistration) []string {
	if obj.Status.Consent == nil {
		return nil
	}
	var out []string
	for _, g := range obj.Status.Consent.Granted {
		if permissions.AppIDOf(g.Resource) != entrav1alpha1.MicrosoftGraphAppID {
			continue
		}
		for _, n := range g.Application {
			out = append(out, string(n))
		}
	}
	return out
}

// writeConsent prints what status says of an AppRegistration's admin consent, if it declares
// permissions.
func writeConsent(w io.Writer, obj entrav1alpha1.AppRegistration) {
	c := meta.FindStatusCondition(obj.Status.Conditions, entrav1alpha1.ConditionConsentGranted)
	if len(obj.Spec.Permissions) == 0 || c == nil {
		return
	}
	fmt.Fprintf(w, "  admin consent    %s (%s)\n", c.Status, c.Reason)
	if obj.Status.Consent == nil {
		return
	}
	for _, g := range obj.Status.Consent.Granted {
		var kinds []string
		if len(g.Delegated) > 0 {
			kinds = append(kinds, "delegated "+joinNames(g.Delegated))
		}
		if len(g.Application) > 0 {
			kinds = append(kinds, "application "+joinNames(g.Application))
		}
		fmt.Fprintf(w, "    granted        %s: %s\n", g.Resource, strings.Join(kinds, "; "))
	}
	if u := obj.Status.Consent.AdminConsentURL; u != "" {
		fmt.Fprintf(w, "    admin consent URL for a tenant administrator:\n      %s\n", u)
	}
}

func joinNames(names []entrav1alpha1.PermissionName) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, string(n))
	}
	return strings.Join(out, ", ")
}
