package demo

import (
	"slices"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretproof"
)

// proversFor are the proofs for one AppRegistration's Secret, by its format. A Generic Secret gets
// every Generic proof, plus, when application permissions on Microsoft Graph hold consent, that a
// token carries exactly those roles. A CRM format gets the proof that plays that CRM: it signs in
// with the object's first web redirect URI, which is the CRM's own callback, and, for the CRMs
// that derive their endpoints from the tenant ID, the emulator's authority host, which stands in
// for the cloud's the CRM knows.
func proversFor(obj entrav1alpha1.AppRegistration, authorityHost string) []secretproof.Prover {
	redirect := firstWebRedirect(obj)
	switch obj.Spec.Secret.Format {
	case entrav1alpha1.SecretFormatEspoCRM:
		return []secretproof.Prover{secretproof.EspoCRM(redirect, "")}
	case entrav1alpha1.SecretFormatOroCRM:
		return []secretproof.Prover{secretproof.OroCRM(authorityHost, redirect)}
	case entrav1alpha1.SecretFormatSMTP:
		return []secretproof.Prover{secretproof.SMTP(redirect)}
	case entrav1alpha1.SecretFormatThreeCX:
		return []secretproof.Prover{secretproof.ThreeCX(authorityHost, grantedGraphRoles(obj))}
	}
	roles := grantedGraphRoles(obj)
	if len(roles) == 0 {
		return secretproof.Provers
	}
	return append(slices.Clone(secretproof.Provers), secretproof.GraphRoles(roles))
}

// firstWebRedirect is the object's first web redirect URI, "" when it has none.
func firstWebRedirect(obj entrav1alpha1.AppRegistration) string {
	if obj.Spec.Web == nil || len(obj.Spec.Web.RedirectURIs) == 0 {
		return ""
	}
	return string(obj.Spec.Web.RedirectURIs[0])
}

// clientSecretProver is the proof among provers that signs in with the client secret under key,
// the one to show a rotation with; false when none does.
func clientSecretProver(provers []secretproof.Prover, key string) (secretproof.Prover, bool) {
	i := slices.IndexFunc(provers, func(p secretproof.Prover) bool { return slices.Contains(p.Needs, key) })
	if i < 0 {
		return secretproof.Prover{}, false
	}
	return provers[i], true
}
