package odata

import (
	"fmt"
	"net/http"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// Graph error codes (error.code in an OData error body).
const (
	CodeBadRequest                      = "BadRequest"
	CodeRequestBadRequest               = "Request_BadRequest"
	CodeResourceNotFound                = "Request_ResourceNotFound"
	CodeUnsupportedQuery                = "Request_UnsupportedQuery"
	CodeEntityTooLarge                  = "Request_EntityTooLarge"
	CodeMultipleObjectsWithSameKeyValue = "Request_MultipleObjectsWithSameKeyValue"
	CodeAuthorizationRequestDenied      = "Authorization_RequestDenied"
	CodeInvalidAuthenticationToken      = "InvalidAuthenticationToken"
	CodeConcurrencyViolation            = "Directory_ConcurrencyViolation"
	CodeTooManyRequests                 = "TooManyRequests"
	CodeServiceNotAvailable             = "serviceNotAvailable"
	CodeGeneralException                = "generalException"
)

// Error is a Graph OData error, written as {"error":{"code","message","details"?,"innerError":{...}}}.
type Error struct {
	Status  int
	Code    string
	Message string
	Details []ErrorDetail
	// RetryAfter, when set, becomes a Retry-After header in whole seconds (rounded up).
	RetryAfter *time.Duration
}

// ErrorDetail is one entry of error.details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// NotFound is Graph's answer for an entity key that names nothing.
func NotFound(id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeResourceNotFound,
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

// BadRequest is a 400 Request_BadRequest with a formatted message.
func BadRequest(msg string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeRequestBadRequest, Message: fmt.Sprintf(msg, args...)}
}

// InvalidValue is Graph's answer to a property value it will not store; the detail names the
// property, so a client can report which one.
func InvalidValue(property, resource, why string) *Error {
	msg := fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'.", property, resource)
	if why != "" {
		msg += " " + why
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeRequestBadRequest, Message: msg,
		Details: []ErrorDetail{{Code: "InvalidValue", Message: msg, Target: property}}}
}

// Forbidden is the 403 a caller gets without the permission a request needs.
func Forbidden() *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeAuthorizationRequestDenied,
		Message: "Insufficient privileges to complete the operation."}
}

// Unauthorized is the 401 for a missing, invalid or expired bearer token.
func Unauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidAuthenticationToken, Message: msg}
}

// UnsupportedQuery refuses a query option Graph does not serve for a resource.
func UnsupportedQuery(msg string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeUnsupportedQuery, Message: fmt.Sprintf(msg, args...)}
}

// SegmentNotFound refuses a path segment that names no resource.
func SegmentNotFound(seg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf("Resource not found for the segment '%s'.", seg)}
}

// MethodNotAllowed refuses a method the resource does not support.
func MethodNotAllowed(method string) *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: CodeRequestBadRequest,
		Message: fmt.Sprintf("The HTTP method '%s' is not allowed for this resource.", method)}
}

// errorContentType is what Graph sends with error bodies.
const errorContentType = "application/json"

// WriteError writes e as an OData error body with Graph's innerError (date, request IDs).
func WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	req := wire.RequestFrom(r.Context())
	body := map[string]any{
		"code":    e.Code,
		"message": e.Message,
		"innerError": map[string]any{
			"date":              req.Received.UTC().Format("2006-01-02T15:04:05"),
			"request-id":        req.ID,
			"client-request-id": req.ClientID,
		},
	}
	if len(e.Details) > 0 {
		body["details"] = e.Details
	}
	if e.RetryAfter != nil {
		w.Header().Set("Retry-After", fmt.Sprint(WholeSeconds(*e.RetryAfter)))
	}
	wire.WriteJSON(w, e.Status, errorContentType, map[string]any{"error": body})
}

// WholeSeconds rounds d up to whole seconds, as Retry-After and Graph's messages count them.
func WholeSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }
