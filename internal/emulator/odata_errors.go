package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Graph error codes (error.code in an OData error body).
const (
	codeBadRequest                      = "BadRequest"
	codeRequestBadRequest               = "Request_BadRequest"
	codeResourceNotFound                = "Request_ResourceNotFound"
	codeUnsupportedQuery                = "Request_UnsupportedQuery"
	codeEntityTooLarge                  = "Request_EntityTooLarge"
	codeMultipleObjectsWithSameKeyValue = "Request_MultipleObjectsWithSameKeyValue"
	codeAuthorizationRequestDenied      = "Authorization_RequestDenied"
	codeInvalidAuthenticationToken      = "InvalidAuthenticationToken"
	codeConcurrencyViolation            = "Directory_ConcurrencyViolation"
	codeTooManyRequests                 = "TooManyRequests"
	codeServiceNotAvailable             = "serviceNotAvailable"
	codeGeneralException                = "generalException"
)

// graphError is a Graph OData error, written as
// {"error":{"code","message","details"?,"innerError":{...}}}.
type graphError struct {
	status  int
	code    string
	message string
	details []errorDetail
	// retryAfter, when set, becomes a Retry-After header in whole seconds.
	retryAfter *time.Duration
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errNotFound(id string) *graphError {
	return &graphError{status: http.StatusNotFound, code: codeResourceNotFound,
		message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

func errBadRequest(msg string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: codeRequestBadRequest, message: fmt.Sprintf(msg, args...)}
}

// errInvalidValue is Graph's answer to a property value it will not store.
func errInvalidValue(property, resource, why string) *graphError {
	msg := fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'.", property, resource)
	if why != "" {
		msg += " " + why
	}
	return &graphError{status: http.StatusBadRequest, code: codeRequestBadRequest, message: msg,
		details: []errorDetail{{Code: "InvalidValue", Message: msg, Target: property}}}
}

func errForbidden() *graphError {
	return &graphError{status: http.StatusForbidden, code: codeAuthorizationRequestDenied,
		message: "Insufficient privileges to complete the operation."}
}

func errUnauthorized(msg string) *graphError {
	return &graphError{status: http.StatusUnauthorized, code: codeInvalidAuthenticationToken, message: msg}
}

func errUnsupportedQuery(msg string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: codeUnsupportedQuery, message: fmt.Sprintf(msg, args...)}
}

// writeGraphError writes e as an OData error body with Graph's innerError.
func writeGraphError(w http.ResponseWriter, r *http.Request, e *graphError) {
	ids := requestIDsFrom(r.Context())
	body := map[string]any{
		"code":    e.code,
		"message": e.message,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        ids.request,
			"client-request-id": ids.client,
		},
	}
	if len(e.details) > 0 {
		body["details"] = e.details
	}
	if e.retryAfter != nil {
		w.Header().Set("Retry-After", fmt.Sprint(int64((*e.retryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, e.status, map[string]any{"error": body})
}

// writeJSON writes v with Graph's JSON content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	writeBody(w, status, v)
}

// writeBody encodes v as JSON after the caller set Content-Type.
func writeBody(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
