// Package emulator is an in-process Microsoft Entra ID emulator: a real HTTPS
// server that speaks enough of Microsoft Graph v1.0 and of the Microsoft
// identity platform (v2.0 endpoints) for the real msgraph-sdk-go and
// azidentity clients to run unmodified against it.
//
// It exists because no machine of this project can reach graph.microsoft.com
// or login.microsoftonline.com, yet the operator's behaviour (idempotent
// creates, diff-before-write, secret rotation without downtime, respect for
// throttling and replication lag) can only be proven against something that
// behaves like Entra. Tests start it with [Start]; the entra-emulator binary
// serves it for local demos and for users' own CI.
//
// Layout, by concern:
//
//   - server.go: Options, Start, listener, top-level routing, request IDs,
//     latency. graph.go: the Graph pipeline (gzip bodies, injected 5xx,
//     bearer authentication, throttling, conflicts) and shared helpers.
//   - tls.go: the generated CA and loopback leaf certificate.
//   - model.go, tenant.go, seed.go: the directory objects, the per-tenant
//     store (one mutex per tenant) and the seeded directory.
//   - graph_*.go: Graph v1.0 handlers, one file per resource family;
//     odata.go: $filter/$select/$top/$skiptoken; odata_errors.go: error bodies.
//   - identity_*.go: discovery, JWKS, token, authorize and logout endpoints;
//     tokens.go: signing and verifying JWTs; assertions.go: client assertions.
//   - validate.go: Entra's property validation on application writes.
//   - behaviour.go, throttle.go, conflicts.go, counters.go: switchable
//     failure modes and request counters.
//
// Time comes from Options.Clock everywhere (credential expiry, token lifetime,
// replication lag and throttling buckets), so tests can move it forward.
// The emulator never logs secrets, tokens or client assertions.
package emulator
