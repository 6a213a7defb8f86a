package graph

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
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
	// KindUnavailable means Graph failed (5xx) or could not be reached; retry with backoff.
	KindUnavailable
	// KindAuthentication means no token could be had for Graph (bad credentials, unreachable authority).
	KindAuthentication
)

// Error is a failed Graph request, reduced to what decides the operator's next step. Its message
// carries Graph's code and message, never request bodies or tokens.
type Error struct {
	// Op is what the operator was doing, e.g. "create the application".
	Op string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Code is Graph's OData error code (Authorization_RequestDenied, Request_BadRequest, ...).
	Code string
	// Message is Graph's error message.
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
		b.WriteString("could not get a token for Microsoft Graph: ")
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

// kindFor classifies a Graph answer by its status, OData code, message and detail codes.
func kindFor(status int, code, message string, details ...string) Kind {
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
	case status == http.StatusBadRequest && isReplicationLag(append(details, code), message):
		return KindReplicationLag
	case status == http.StatusBadRequest:
		return KindBadRequest
	case status >= 500 || status == 0:
		return KindUnavailable
	}
	return KindUnknown
}

// isReplicationLag recognizes Graph's answer to creating a service principal for an application that
// has not replicated yet: 400 Request_BadRequest with the detail code NoBackingApplicationObject and
// "... does not reference a valid application object".
func isReplicationLag(codes []string, message string) bool {
	return slices.Contains(codes, "NoBackingApplicationObject") ||
		strings.Contains(message, "does not reference a valid application object")
}

// parseRetryAfter reads a Retry-After header given in seconds or as an HTTP date.
func parseRetryAfter(value string, now time.Time) time.Duration {
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
