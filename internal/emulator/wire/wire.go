// Package wire holds what every response of the Entra emulator shares, whichever protocol it speaks
// (Graph's OData or the identity platform's OAuth): the request IDs Entra echoes in headers and
// error bodies, the emulator clock's time of arrival, and the one JSON writer.
package wire

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Request identifies one request the emulator serves.
type Request struct {
	// ID is the request-id the emulator assigned.
	ID string
	// ClientID is the client-request-id the client sent, or ID.
	ClientID string
	// Received is the emulator clock's time when the request arrived, so error bodies carry the
	// same (possibly fake) time as everything else.
	Received time.Time
}

type requestKey struct{}

// WithRequest returns ctx carrying req.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, requestKey{}, req)
}

// RequestFrom returns the Request stored by WithRequest, or the zero Request.
func RequestFrom(ctx context.Context) Request {
	req, _ := ctx.Value(requestKey{}).(Request)
	return req
}

// WriteJSON writes v as the JSON body of a response with the given status and content type.
// HTML escaping is off: Graph and Entra send URLs and '&' as they are.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// The status line is out; a client that hung up cannot be told anything more.
	_ = enc.Encode(v)
}
