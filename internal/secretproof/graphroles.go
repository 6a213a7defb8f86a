package secretproof

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

// microsoftGraphAppID names Microsoft Graph in a scope the same way in every national cloud.
const microsoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// GraphRoles proves admin consent for application permissions the way a CRM's background sync
// meets it: a client-credentials token for Microsoft Graph, got with the Secret's keys, carries
// exactly the roles want (Microsoft Graph application permissions, as status.consent.granted lists
// them), no fewer and no more.
//
// Graph's tokens are meant for Graph alone and, in Entra, are not verifiable by their clients, so
// this proof checks the claims (tenant, client, roles) and leaves the signature to Graph.
func GraphRoles(want []string) Prover {
	return Prover{
		Name: "Microsoft Graph roles with AZURE_CLIENT_SECRET",
		Needs: []string{
			secretdata.KeyTenantID, secretdata.KeyClientID, secretdata.KeyClientSecret, secretdata.KeyTokenEndpoint,
		},
		Prove: func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error) {
			token, err := clientCredentialsToken(ctx, client, secret, microsoftGraphAppID+"/.default")
			if err != nil {
				return "", err
			}
			claims, err := unverifiedClaims(token, genericIdentity(secret))
			if err != nil {
				return "", err
			}
			roles, err := exactRoles(claims, want)
			if err != nil {
				return "", err
			}
			return "token for Microsoft Graph carries exactly the consented roles " + roles, nil
		},
	}
}

// exactRoles checks that a token for Microsoft Graph carries exactly the roles want, in any order,
// and lists them.
func exactRoles(claims accessTokenClaims, want []string) (string, error) {
	got, want := slices.Sorted(slices.Values(claims.Roles)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("the token for Microsoft Graph carries roles [%s], want the consented [%s]",
			strings.Join(got, " "), strings.Join(want, " "))
	}
	return strings.Join(got, ", "), nil
}
