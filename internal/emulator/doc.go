// Package emulator is an in-process Microsoft Entra ID emulator: a real HTTPS server that speaks
// enough of Microsoft Graph v1.0 and of the Microsoft identity platform (v2.0 endpoints) for the
// real msgraph-sdk-go, azidentity, go-oidc and x/oauth2 clients to run unmodified against it.
//
// It exists because no machine of this project can reach graph.microsoft.com or
// login.microsoftonline.com, yet the operator's behaviour (idempotent creates, diff-before-write,
// secret rotation without downtime, respect for throttling and replication lag) can only be proven
// against something that behaves like Entra. Tests start it with [Start]; the entra-emulator
// binary serves it for local demos and for users' own CI.
//
// This package is the facade: [Start], [Options], [Server] (URLs, TLS trust, behaviour, counters)
// and [Tenant], with the types of the rooms behind it re-exported. The rooms, one package each:
//
//   - wire: what every response shares: request IDs, the clock's time of arrival, the one JSON
//     writer.
//   - odata: $filter, $select, $top and $skiptoken; Graph's error body; @odata.context and
//     nextLink.
//   - directory: the store. Each tenant's directory objects and test users, the seeded directory,
//     credential material (secret hashes, certificates), the tenant's default app management
//     policy, given a clock and a visibility rule.
//     No sign-in sessions, no server.
//   - graphapi: Graph v1.0 as one route table (method, path pattern, whether it writes, the roles
//     it requires, the finer rule Graph applies) and one pipeline that authenticates, checks the
//     route's roles, locks, finds, checks visibility and answers; the handlers hold the rest.
//   - identity: discovery, JWKS, the token endpoint and its client assertions (certificate and
//     federated), authorize, admin consent (a seeded Global Administrator accepts it), logout,
//     userinfo, token signing, and the sign-in sessions.
//   - faults: latency, replication lag, throttling token buckets, injected 5xx, 409 on concurrent
//     writes, a stalled token endpoint, and the request counters.
//
// This package itself holds the listener and its generated CA (tls.go), the top-level router
// (server.go), and the Tenant type and re-exports (tenant.go).
//
// Time comes from Options.Clock everywhere (credential expiry, token lifetime, replication lag,
// throttling buckets, error timestamps), so tests can move it forward; only latency and write
// holds are real waits, as a client experiences them. The emulator never logs secrets, tokens or
// client assertions.
package emulator
