package emulator

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/faults"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/graphapi"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/identity"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/wire"
)

// Options configure Start.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port).
	Addr string
	// Tenants is how many tenants to seed; default 1, or len(TenantIDs).
	Tenants int
	// TenantIDs fixes tenant IDs (GUIDs); missing ones are random.
	TenantIDs []string
	// Clock is the emulator's time source; default time.Now. Tests pass a
	// fake clock to expire credentials and tokens without sleeping.
	Clock func() time.Time
	// Logger receives one debug line per request and lifecycle messages. It
	// never receives secret values, tokens or client assertions.
	Logger *slog.Logger
	// Hosts are extra DNS names or IPs for the serving certificate, for
	// example a container's service name.
	Hosts []string
	// IssuerHTTPClient fetches OIDC discovery documents and JWKS of external
	// issuers named by federated identity credentials; default
	// http.DefaultClient. Issuers registered with TrustIssuer need none.
	IssuerHTTPClient *http.Client
	// Behaviour is the initial behaviour; change it with SetBehaviour.
	Behaviour Behaviour
	// Seed makes injected random failures reproducible when non-zero.
	Seed uint64
}

// Server is a running emulator.
type Server struct {
	clock    func() time.Time
	log      *slog.Logger
	pki      *serverPKI
	listener net.Listener
	httpSrv  *http.Server
	url      string
	done     chan struct{}
	serveErr error

	tenants  []*Tenant
	registry *directory.Registry
	faults   *faults.Faults
	identity *identity.Platform
	graph    *graphapi.API
}

// Start seeds the tenants, generates the CA and serving certificate and serves HTTPS until Close.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.IssuerHTTPClient == nil {
		opts.IssuerHTTPClient = http.DefaultClient
	}
	pki, err := newServerPKI(opts.Hosts)
	if err != nil {
		return nil, fmt.Errorf("emulator TLS: %w", err)
	}
	s := &Server{
		clock:  opts.Clock,
		log:    opts.Logger,
		pki:    pki,
		faults: faults.New(opts.Clock, opts.Seed, opts.Behaviour),
		done:   make(chan struct{}),
	}
	if err := s.seedTenants(opts); err != nil {
		return nil, err
	}
	// Start has no context to listen under; the listener outlives it anyway.
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator listen on %s: %w", opts.Addr, err)
	}
	s.listener = ln
	s.url = "https://" + urlHost(ln.Addr())
	for _, t := range s.tenants {
		t.baseURL = s.url
	}
	s.identity, err = identity.New(identity.Config{
		BaseURL: s.url, Clock: s.clock, Tenants: s.registry, Faults: s.faults, IssuerHTTPClient: opts.IssuerHTTPClient,
	})
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("emulator identity platform: %w", err)
	}
	s.graph = graphapi.New(s.url, s.faults, s.identity)

	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pki.leaf}, MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.done)
		err := s.httpSrv.ServeTLS(ln, "", "")
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
			s.log.Error("emulator stopped serving", "err", err)
		}
	}()
	s.log.Info("entra emulator listening", "url", s.url, "tenants", len(s.tenants))
	return s, nil
}

// seedTenants creates the tenants' directories: the IDs given, then random ones up to the count.
func (s *Server) seedTenants(opts Options) error {
	n := max(opts.Tenants, len(opts.TenantIDs), 1)
	dirs := make([]*directory.Directory, 0, n)
	for i := range n {
		id := uuid.NewString()
		if i < len(opts.TenantIDs) {
			parsed, err := uuid.Parse(opts.TenantIDs[i])
			if err != nil {
				return fmt.Errorf("tenant ID %q is not a GUID: %w", opts.TenantIDs[i], err)
			}
			id = parsed.String()
		}
		d, err := directory.New(directory.Config{ID: id, Clock: s.clock, Visible: s.faults.Visible})
		if err != nil {
			return err
		}
		dirs = append(dirs, d)
		s.tenants = append(s.tenants, &Tenant{Directory: d})
	}
	registry, err := directory.NewRegistry(dirs...)
	if err != nil {
		return err
	}
	s.registry = registry
	return nil
}

// urlHost renders a listener address for a URL, preferring 127.0.0.1 for
// wildcard listens so clients connect over loopback.
func urlHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Close stops serving; in-flight requests get closeGrace to finish before their connections
// close. Requests held by a fault (a stalled token endpoint, latency, a held write) are released
// first, so Close returns promptly whatever the behaviour.
func (s *Server) Close() error {
	s.faults.Close()
	// In-flight requests get a moment to finish; then what is left is closed. Without the cut, every
	// Close waited out HTTP/2's one-second GOAWAY grace for connections clients merely kept open.
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	err := s.httpSrv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.httpSrv.Close()
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("emulator shutdown: %w", err)
	}
	return s.serveErr
}

// closeGrace is how long Close lets in-flight requests finish.
const closeGrace = 250 * time.Millisecond

// URL is the server's base URL, "https://127.0.0.1:PORT".
func (s *Server) URL() string { return s.url }

// GraphBaseURL is the Microsoft Graph v1.0 root for msgraph-sdk-go's
// adapter.SetBaseUrl.
func (s *Server) GraphBaseURL() string { return s.url + "/v1.0" }

// AuthorityHost is the value for azidentity's
// cloud.Configuration.ActiveDirectoryAuthorityHost.
func (s *Server) AuthorityHost() string { return s.url + "/" }

// CACertPEM is the PEM of the CA that signed the serving certificate.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.pki.caPEM...) }

// CertPool is a pool holding only the emulator's CA.
func (s *Server) CertPool() *x509.CertPool { return s.pki.pool.Clone() }

// TLSConfig is a client TLS configuration that trusts the emulator.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
}

// HTTPClient returns a new client whose transport trusts the emulator's CA
// (and nothing else); use its Transport under SDK middleware.
func (s *Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = s.TLSConfig()
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// Tenants returns the seeded tenants in creation order.
func (s *Server) Tenants() []*Tenant { return append([]*Tenant(nil), s.tenants...) }

// Tenant returns the tenant with this ID, or nil.
func (s *Server) Tenant(id string) *Tenant {
	for _, t := range s.tenants {
		if strings.EqualFold(t.ID(), id) {
			return t
		}
	}
	return nil
}

// SetBehaviour switches the emulated behaviour at runtime. Changing the throttle configuration
// resets every token bucket; switching StallTokenEndpoint off releases the stalled requests.
func (s *Server) SetBehaviour(b Behaviour) { s.faults.Set(b) }

// ExpireDeltaTokens makes every delta query token issued so far answer 400 syncStateNotFound, as
// Graph does when it has dropped a client's sync state; the client must start a full round again.
func (s *Server) ExpireDeltaTokens() { s.faults.ExpireDeltaTokens() }

// Counters returns a snapshot of the request counters.
func (s *Server) Counters() Counters { return s.faults.Counters() }

// ResetCounters zeroes the request counters.
func (s *Server) ResetCounters() { s.faults.ResetCounters() }

// TrustIssuer registers the signing keys of an external token issuer (for example a Kubernetes
// service account issuer) so federated assertions from it are verified without fetching its
// discovery document. Calling it again for the same issuer replaces the keys.
func (s *Server) TrustIssuer(issuer string, keys ...crypto.PublicKey) {
	s.identity.TrustIssuer(issuer, keys...)
}

// ServeHTTP is the top-level router: Graph under /v1.0, userinfo, and the identity platform
// under /{tenant}/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	req := wire.Request{ID: uuid.NewString(), ClientID: r.Header.Get("client-request-id"), Received: s.clock()}
	if req.ClientID == "" {
		req.ClientID = req.ID
	}
	w.Header().Set("request-id", req.ID)
	w.Header().Set("client-request-id", req.ClientID)
	rw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	r = r.WithContext(wire.WithRequest(r.Context(), req))

	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		// Not Entra's: no latency, no faults, not counted.
		s.serveAdmin(rw, r)
		return
	}
	if !s.faults.Delay(r.Context()) {
		return
	}
	switch {
	case r.URL.Path == "/v1.0" || strings.HasPrefix(r.URL.Path, "/v1.0/"):
		s.graph.ServeHTTP(rw, r)
	case r.URL.Path == "/oidc/userinfo":
		s.identity.ServeUserInfo(rw, r)
	default:
		s.identity.ServeHTTP(rw, r)
	}
	// Paths may carry uniqueName values but never secrets; query strings (codes, assertions in
	// GETs) are deliberately not logged.
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rw.status,
		"duration", time.Since(start), "request-id", req.ID)
}

// statusRecorder remembers the status code for logging.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
