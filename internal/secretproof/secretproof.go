// Package secretproof proves that a Secret the operator wrote works, the way the CRM that mounts it
// would use it: from the Secret's keys alone (plus the HTTP client the caller trusts TLS with), it
// discovers the tenant, and signs in or gets a token with whatever credential the Secret carries.
//
// Each Prover names the keys it needs. A proof runs only when the Secret holds all of them, so a new
// credential kind or CRM format adds one Prover to Provers and applies wherever its keys appear.
package secretproof

import (
	"context"
	"net/http"
	"slices"
)

// Prover proves one thing a workload can do with a Secret.
type Prover struct {
	// Name says what is proven, e.g. "OIDC discovery".
	Name string
	// Needs are the Secret keys the proof reads; it applies only when every one is present and non-empty.
	Needs []string
	// Prove runs the proof and returns what it established, in one line that never holds a credential.
	Prove func(ctx context.Context, client *http.Client, secret map[string][]byte) (string, error)
}

// Provers are run in this order against every Secret:
//   - OIDC discovery works from any Secret with the tenant's endpoints;
//   - a client secret (AZURE_CLIENT_SECRET) must yield a client-credentials token;
//   - a certificate (tls-combined.pem) must yield one with a client assertion.
//
// They read the Generic format's keys. The CRM formats have a prover each (EspoCRM, OroCRM, SMTP,
// ThreeCX, in crm.go), which plays that CRM from its keys; like GraphRoles (the consented
// application permissions), they take what one object declares and are chosen per object.
var Provers = []Prover{discoveryProver, clientSecretProver, certificateProver}

// Result is the outcome of one Prover against one Secret.
type Result struct {
	// Prover is the Prover's name.
	Prover string
	// Missing lists the needed keys the Secret lacks; the proof did not run when it is non-empty.
	Missing []string
	// Detail is what the proof established, when it passed.
	Detail string
	// Err is why the proof failed; nil when it passed or did not run.
	Err error
}

// Applied reports whether the proof ran (the Secret held every key it needs).
func (r Result) Applied() bool { return len(r.Missing) == 0 }

// Passed reports whether the proof ran and succeeded.
func (r Result) Passed() bool { return r.Applied() && r.Err == nil }

// Run applies every prover in provers to secret, in order, and returns one Result per prover.
func Run(ctx context.Context, client *http.Client, secret map[string][]byte, provers []Prover) []Result {
	results := make([]Result, 0, len(provers))
	for _, p := range provers {
		r := Result{Prover: p.Name, Missing: missingKeys(secret, p.Needs)}
		if r.Applied() {
			r.Detail, r.Err = p.Prove(ctx, client, secret)
		}
		results = append(results, r)
	}
	return results
}

// missingKeys returns the keys of needs that secret lacks or holds empty.
func missingKeys(secret map[string][]byte, needs []string) []string {
	var missing []string
	for _, k := range needs {
		if len(secret[k]) == 0 && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	return missing
}
