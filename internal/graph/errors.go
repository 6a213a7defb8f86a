package graph

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFound matches errors for objects Graph does not have (404).
var ErrNotFound = errors.New("not found in Microsoft Graph")

// Kind sorts Graph failures by what the operator should do about them.
type Kind int

const (
	// KindUnknown is a failure that fits no other kind; retried with backoff.
	KindUnknown Kind = iota
	// KindNotFound means the object does not exist (or is not replicated yet).
	KindNotFound
	// KindForbidden means the operator's identity lacks a Graph permission; an admin must grant it.
	KindForbidden
	// KindBadRequest means Graph refused a value; the spec must change.
	KindBadRequest
	// KindThrottled means Graph asked the operator to slow down.
	KindThrottled
	// KindConflict means a concurrent write to the same object; retry.
	KindConflict
	// KindReplicationLag means an object created moments ago is not visible everywhere yet; retry soon.
	KindReplicationLag
	// KindUnavailable means Graph failed (5xx), could not be reached or did not answer in time; retry
	// with backoff.
	KindUnavailable
	// KindAuthentication means no token could be had for Graph (bad credentials, unreachable or silent
	// authority).
	KindAuthentication
	// KindPolicy means an app management policy of the tenant (or of the application) refused a
	// credential: its type, or its lifetime. Only the spec or the policy can change that.
	KindPolicy
	// KindResyncRequired means Graph no longer has the delta query state a link refers to (expired
	// or invalid): the client must start a new full round.
	KindResyncRequired
)

var kindNames = [...]string{"Unknown", "NotFound", "Forbidden", "BadRequest", "Throttled", "Conflict",
	"ReplicationLag", "Unavailable", "Authentication", "Policy", "ResyncRequired"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failed Graph request, reduced to what decides the operator's next step.
//
// It has two renderings. Error() is the full story for the operator's log: Graph's or the token
// endpoint's own message included. Summary() is what users see in status and events: the operation,
// the status and error code, and what to do — short, fixed text that never carries a token
// endpoint's response (trace IDs, the operator's client ID) or a request body.
type Error struct {
	// Op is what the operator was doing, e.g. "create the application".
	Op string
	// Permission is the least Microsoft Graph application permission the operation needs, named in
	// the hint when Graph answers 403.
	Permission string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Code is Graph's OData error code (Authorization_RequestDenied, Request_BadRequest, ...), or
	// the token endpoint's OAuth error and AADSTS code for KindAuthentication.
	Code string
	// Message is Graph's error message, or the transport's.
	Message string
	// RetryAfter is the delay Graph asked for, if any.
	RetryAfter time.Duration
	// Kind classifies the failure.
	Kind Kind
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Kind == KindAuthentication:
		b.WriteString("could not get a token for Microsoft Graph")
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	case e.Kind == KindThrottled && e.Code == "":
		b.WriteString(e.Message)
	case e.Status == 0:
		b.WriteString("Microsoft Graph could not be reached: ")
		b.WriteString(e.Message)
	default:
		fmt.Fprintf(&b, "Microsoft Graph answered %d %s", e.Status, http.StatusText(e.Status))
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	}
	return b.String()
}

// maxGraphMessage bounds how much of Graph's own message a summary quotes. Graph's 400 messages name
// the refused property, which is what a user needs to fix the spec; nothing useful is longer.
const maxGraphMessage = 200

// Summary is the short, user-facing account of the failure for status conditions and events.
func (e *Error) Summary() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Kind == KindAuthentication:
		b.WriteString("could not get a token for Microsoft Graph")
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		if e.Status == 0 {
			b.WriteString("; the authority did not answer in time or could not be reached")
		}
		b.WriteString("; check the operator's credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID and its secret, " +
			"certificate or federated token) and the authority host; details are in the operator's log")
	case e.Kind == KindThrottled && e.Code == "":
		// Throttled before anything was sent: the message is the operator's own fixed text.
		b.WriteString(e.Message)
	case e.Status == 0:
		b.WriteString("Microsoft Graph could not be reached or did not answer in time; retrying with backoff")
	default:
		fmt.Fprintf(&b, "Microsoft Graph answered %d %s", e.Status, http.StatusText(e.Status))
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		// Graph's message names the refused property, or the policy that refused a credential:
		// what a user needs to fix the spec.
		if (e.Kind == KindBadRequest || e.Kind == KindPolicy) && e.Message != "" {
			b.WriteString(": ")
			b.WriteString(truncate(e.Message, maxGraphMessage))
		}
		switch e.Kind {
		case KindPolicy:
			b.WriteString("; an app management policy of the tenant or the application forbids this credential: " +
				"change the credential's spec to fit the policy, or ask an administrator to change the policy")
		case KindForbidden:
			perm := e.Permission
			if perm == "" {
				perm = PermissionApplicationOwnedBy
			}
			fmt.Fprintf(&b, "; grant the operator's application the Microsoft Graph application permission %s "+
				"and give admin consent", perm)
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for 404s.
func (e *Error) Is(target error) bool { return target == ErrNotFound && e.Kind == KindNotFound }

// KindOf returns the kind of a Graph error, KindUnknown for other errors.
func KindOf(err error) Kind {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Kind
	}
	return KindUnknown
}

// RetryAfterOf returns the delay Graph asked for, or zero.
func RetryAfterOf(err error) time.Duration {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.RetryAfter
	}
	return 0
}

// Classify sorts a Graph answer by its status, OData code, message and detail codes.
func Classify(status int, code, message string, details ...string) Kind {
	switch {
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusUnauthorized:
		return KindAuthentication
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusConflict:
		return KindConflict
	case isResyncRequired(status, code):
		return KindResyncRequired
	case status == http.StatusBadRequest && isReplicationLag(append(details, code), message):
		return KindReplicationLag
	case status == http.StatusBadRequest && strings.HasSuffix(code, appPolicyCodeSuffix):
		return KindPolicy
	case status == http.StatusBadRequest:
		return KindBadRequest
	case status >= 500 || status == 0:
		return KindUnavailable
	}
	return KindUnknown
}

// appPolicyCodeSuffix ends the codes of Graph's refusals by an app management policy:
// CredentialTypeNotAllowedAsPerAppPolicy, CredentialInvalidLifetimeAsPerAppPolicy.
const appPolicyCodeSuffix = "AsPerAppPolicy"

// isResyncRequired recognizes Graph's answers to a delta link whose sync state is gone: 400
// syncStateNotFound or syncStateInvalid, resyncRequired, or 410 Gone.
func isResyncRequired(status int, code string) bool {
	switch status {
	case http.StatusGone:
		return true
	case http.StatusBadRequest:
		return strings.EqualFold(code, "syncStateNotFound") || strings.EqualFold(code, "syncStateInvalid") ||
			strings.EqualFold(code, "resyncRequired")
	}
	return false
}

// isReplicationLag recognizes Graph's answer to creating a service principal for an application that
// has not replicated yet: 400 Request_BadRequest with the detail code NoBackingApplicationObject and
// "... does not reference a valid application object".
func isReplicationLag(codes []string, message string) bool {
	return slices.Contains(codes, "NoBackingApplicationObject") ||
		strings.Contains(message, "does not reference a valid application object")
}

// ParseRetryAfter reads a Retry-After header given in seconds or as an HTTP date.
func ParseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var seconds int
	if _, err := fmt.Sscanf(value, "%d", &seconds); err == nil && seconds >= 0 {
		return time.Duration(seconds) * time.Second
	}
	if t, err := http.ParseTime(value); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

var (
	oauthErrorCode = regexp.MustCompile(`"error"\s*:\s*"([a-z_]+)"`)
	aadstsCode     = regexp.MustCompile(`AADSTS\d+`)
)

// TokenErrorCode extracts the codes worth showing a user from a token endpoint's failure text: the
// OAuth error (invalid_client) and the first AADSTS code. Everything else in such a response (trace
// and correlation IDs, timestamps, the client ID) stays in the log.
func TokenErrorCode(text string) string {
	var parts []string
	if m := oauthErrorCode.FindStringSubmatch(text); m != nil {
		parts = append(parts, m[1])
	}
	if m := aadstsCode.FindString(text); m != "" {
		parts = append(parts, m)
	}
	return strings.Join(parts, " ")
}
