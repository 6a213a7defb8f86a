package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		status  int
		code    string
		message string
		details []string
		want    Kind
	}{
		{404, "Request_ResourceNotFound", "Resource 'x' does not exist", nil, KindNotFound},
		{403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", nil, KindForbidden},
		{401, "InvalidAuthenticationToken", "Access token is empty.", nil, KindAuthentication},
		{429, "TooManyRequests", "Too many requests", nil, KindThrottled},
		{409, "Directory_ConcurrencyViolation", "Another operation is in progress", nil, KindConflict},
		{400, "Request_BadRequest", "The appId 'x' of the service principal does not reference a valid application object.", []string{"NoBackingApplicationObject"}, KindReplicationLag},
		{400, "Request_BadRequest", "something", []string{"NoBackingApplicationObject"}, KindReplicationLag},
		{400, "Request_BadRequest", "Invalid value specified for property 'web.redirectUris'.", []string{"InvalidValue"}, KindBadRequest},
		{400, "CredentialInvalidLifetimeAsPerAppPolicy", "Credential lifetime exceeds the max value allowed as per assigned policy 'Default'.", []string{"InvalidKeyEndDate"}, KindPolicy},
		{400, "CredentialTypeNotAllowedAsPerAppPolicy", "Credential type not allowed as per assigned policy 'Default'.", nil, KindPolicy},
		{500, "", "", nil, KindUnavailable},
		{503, "serviceNotAvailable", "", nil, KindUnavailable},
		{0, "", "dial tcp: connection refused", nil, KindUnavailable},
		{412, "", "", nil, KindUnknown},
		{400, "syncStateNotFound", "The sync state could not be found or has expired.", nil, KindResyncRequired},
		{400, "syncStateInvalid", "", nil, KindResyncRequired},
		{400, "resyncRequired", "", nil, KindResyncRequired},
		{410, "", "", nil, KindResyncRequired},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d %s %v", c.status, c.code, c.details), func(t *testing.T) {
			if got := Classify(c.status, c.code, c.message, c.details...); got != c.want {
				t.Errorf("Classify() = %v, want %v", got, c.want)
			}
		})
	}
}

func TestErrorMatchesNotFoundAndNamesTheOperation(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Op: "read the application", Status: 404, Code: "Request_ResourceNotFound", Message: "gone", Kind: KindNotFound})
	if !errors.Is(err, ErrNotFound) || KindOf(err) != KindNotFound {
		t.Errorf("a 404 does not match ErrNotFound: %v", err)
	}
	want := "wrapped: read the application: Microsoft Graph answered 404 Not Found (Request_ResourceNotFound): gone"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if errors.Is(&Error{Status: 403, Kind: KindForbidden}, ErrNotFound) {
		t.Error("a 403 matches ErrNotFound")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 0 ":                           0,
		"-3":                            0,
		"Sun, 22 Nov 2026 03:00:30 GMT": 30 * time.Second,
		"Sun, 22 Nov 2026 02:59:00 GMT": 0,
		"soon":                          0,
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestSummaryIsShortAndSaysWhatToDo: status and events get a fixed account of the failure; Graph's
// own message only where it names the refused value (400), the token endpoint's answer never.
func TestSummaryIsShortAndSaysWhatToDo(t *testing.T) {
	longGraphMessage := "Invalid value specified for property 'web.redirectUris' of resource 'Application'. " + strings.Repeat("x", 500)
	cases := []struct {
		name       string
		err        *Error
		want       []string
		wantAbsent []string
	}{
		{"forbidden names the operation's permission",
			&Error{Op: "grant consent", Permission: "DelegatedPermissionGrant.ReadWrite.All", Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges", Kind: KindForbidden},
			[]string{"grant consent", "403 Forbidden (Authorization_RequestDenied)", "DelegatedPermissionGrant.ReadWrite.All"}, []string{"Insufficient"}},
		{"forbidden without a declared permission falls back to the least one",
			&Error{Op: "read", Status: 403, Kind: KindForbidden}, []string{PermissionApplicationOwnedBy}, nil},
		{"bad request quotes Graph, bounded",
			&Error{Op: "update the application", Status: 400, Code: "Request_BadRequest", Message: longGraphMessage, Kind: KindBadRequest},
			[]string{"web.redirectUris", "…"}, []string{strings.Repeat("x", 300)}},
		{"authentication gives codes, not the answer",
			&Error{Op: "read the application", Status: 401, Code: "invalid_client AADSTS7000215", Kind: KindAuthentication,
				Message: "AADSTS7000215: Invalid client secret. Trace ID: abc Correlation ID: def client 11111111-2222"},
			[]string{"invalid_client AADSTS7000215", "check the operator's credentials"}, []string{"Trace ID", "11111111"}},
		{"a silent authority says so",
			&Error{Op: "read the application", Kind: KindAuthentication, Message: "context deadline exceeded"},
			[]string{"did not answer in time"}, []string{"deadline"}},
		{"unreachable Graph hides transport detail",
			&Error{Op: "read the application", Kind: KindUnavailable, Message: "dial tcp 10.0.0.1:443: i/o timeout"},
			[]string{"could not be reached"}, []string{"10.0.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.err.Summary()
			if len(got) > 500 {
				t.Errorf("summary is %d characters long", len(got))
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary %q lacks %q", got, w)
				}
			}
			for _, w := range c.wantAbsent {
				if strings.Contains(got, w) {
					t.Errorf("summary %q shows %q", got, w)
				}
			}
		})
	}
}

func TestTokenErrorCode(t *testing.T) {
	cases := map[string]string{
		`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: 1"}`: "invalid_client AADSTS7000215",
		"ClientSecretCredential authentication failed\nAADSTS700016: Application not found":                           "AADSTS700016",
		"dial tcp: connection refused": "",
	}
	for in, want := range cases {
		if got := TokenErrorCode(in); got != want {
			t.Errorf("TokenErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}
