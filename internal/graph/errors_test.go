package graph

import (
	"errors"
	"fmt"
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
		{500, "", "", nil, KindUnavailable},
		{503, "serviceNotAvailable", "", nil, KindUnavailable},
		{0, "", "dial tcp: connection refused", nil, KindUnavailable},
		{412, "", "", nil, KindUnknown},
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
