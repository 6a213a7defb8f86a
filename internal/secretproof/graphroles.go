package secretproof

import (
	"context"
	"encoding/base64"
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
	want = slices.Clone(want)
	slices.Sort(want)
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
			parts := strings.Split(token, ".")
			if len(parts) != 3 {
				return "", fmt.Errorf("the access token for Microsoft Graph is not a JWT")
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				return "", fmt.Errorf("decoding the access token for Microsoft Graph: %w", err)
			}
			claims, err := issuedToTheSecretsClient(payload, secret)
			if err != nil {
				return "", err
			}
			got := slices.Clone(claims.Roles)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return "", fmt.Errorf("the token for Microsoft Graph carries roles [%s], want the consented [%s]",
					strings.Join(got, " "), strings.Join(want, " "))
			}
			return fmt.Sprintf("token for Microsoft Graph carries exactly the consented roles %s", strings.Join(got, ", ")), nil
		},
	}
}
