package msgraph

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// NewTransport returns an HTTP transport that trusts the system roots plus the PEM certificates in
// caBundle (for the Entra emulator or a TLS-inspecting proxy). An empty caBundle changes nothing.
func NewTransport(caBundle []byte) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if len(caBundle) == 0 {
		return t, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caBundle) {
		return nil, errors.New("the CA bundle holds no PEM certificate")
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// replayableBodyTransport hands the network a private copy of each request body. Kiota's retry handler
// rewinds the body it owns before a retry, but net/http may still be reading that same reader for the
// attempt Graph already answered (a 429 or 503 can arrive before the body is sent), so the retry went
// out empty and Graph refused it with 400. Reading the body here, synchronously, ends that race.
type replayableBodyTransport struct{ next http.RoundTripper }

func (t replayableBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return t.next.RoundTrip(out)
}

// observingTransport reports every HTTP attempt, below the SDK's retry handler, so that metrics and
// tests count what Graph really received.
type observingTransport struct {
	next    http.RoundTripper
	observe func(method string, status int)
}

func (t observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	t.observe(req.Method, status)
	return res, err
}
