package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
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
	signer   *tokenSigner
	listener net.Listener
	httpSrv  *http.Server
	url      string
	done     chan struct{}
	serveErr error

	tenants []*Tenant
	byID    map[string]*Tenant

	beh        atomic.Pointer[Behaviour]
	counters   *counterSet
	throttle   *throttler
	conflicts  *conflictTracker
	trust      *trustedIssuers
	issuerHTTP *http.Client

	rngMu sync.Mutex
	rng   *rand.Rand
}

// Start seeds the tenants, generates the CA and serving certificate and
// serves HTTPS until Close.
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
	n := max(opts.Tenants, len(opts.TenantIDs), 1)
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}

	pki, err := newServerPKI(opts.Hosts)
	if err != nil {
		return nil, fmt.Errorf("emulator TLS: %w", err)
	}
	signer, err := newTokenSigner()
	if err != nil {
		return nil, fmt.Errorf("emulator token signer: %w", err)
	}
	s := &Server{
		clock:      opts.Clock,
		log:        opts.Logger,
		pki:        pki,
		signer:     signer,
		byID:       map[string]*Tenant{},
		counters:   newCounterSet(),
		throttle:   newThrottler(),
		conflicts:  newConflictTracker(),
		trust:      newTrustedIssuers(),
		issuerHTTP: opts.IssuerHTTPClient,
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		done:       make(chan struct{}),
	}
	s.SetBehaviour(opts.Behaviour)

	// Start has no context to listen under; the listener outlives it anyway.
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator listen on %s: %w", opts.Addr, err)
	}
	s.listener = ln
	s.url = "https://" + urlHost(ln.Addr())

	for i := range n {
		id := ""
		if i < len(opts.TenantIDs) {
			parsed, err := uuid.Parse(opts.TenantIDs[i])
			if err != nil {
				_ = ln.Close()
				return nil, fmt.Errorf("tenant ID %q is not a GUID: %w", opts.TenantIDs[i], err)
			}
			id = parsed.String()
		} else {
			id = uuid.NewString()
		}
		if _, dup := s.byID[id]; dup {
			_ = ln.Close()
			return nil, fmt.Errorf("tenant ID %s given twice", id)
		}
		t, err := newTenant(s, id)
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		s.tenants = append(s.tenants, t)
		s.byID[id] = t
	}

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

// Close stops serving; in-flight requests get closeGrace to finish before their connections close.
func (s *Server) Close() error {
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
func (s *Server) Tenant(id string) *Tenant { return s.byID[strings.ToLower(id)] }

// SetBehaviour switches the emulated behaviour at runtime. Changing the throttle
// configuration resets every token bucket.
func (s *Server) SetBehaviour(b Behaviour) {
	prev := s.beh.Swap(&b)
	if prev == nil || !sameThrottle(prev.Throttle, b.Throttle) {
		s.throttle.configure(b.Throttle)
	}
}

func sameThrottle(a, b *ThrottleConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (s *Server) behaviour() Behaviour { return *s.beh.Load() }

// Counters returns a snapshot of the request counters.
func (s *Server) Counters() Counters { return s.counters.snapshot() }

// ResetCounters zeroes the request counters.
func (s *Server) ResetCounters() { s.counters.reset() }

func (s *Server) now() time.Time { return s.clock() }

// chance reports true with probability p.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

// tenantFor resolves a tenant segment of an identity platform URL: a tenant
// GUID or, when the client is known, "common"/"organizations".
func (s *Server) tenantFor(segment string) *Tenant {
	return s.byID[strings.ToLower(segment)]
}

// tenantOfClient finds the tenant that registered clientID, for the
// multi-tenant aliases (/common, /organizations).
func (s *Server) tenantOfClient(clientID string) *Tenant {
	for _, t := range s.tenants {
		t.mu.Lock()
		a := t.appByAppIDLocked(clientID)
		t.mu.Unlock()
		if a != nil {
			return t
		}
	}
	return nil
}

// ServeHTTP is the top-level router: Graph under /v1.0, userinfo, and the
// identity platform under /{tenant}/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := uuid.NewString()
	clientReqID := r.Header.Get("client-request-id")
	if clientReqID == "" {
		clientReqID = reqID
	}
	w.Header().Set("request-id", reqID)
	w.Header().Set("client-request-id", clientReqID)
	rw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	ctx := context.WithValue(r.Context(), requestIDsKey{}, requestIDs{request: reqID, client: clientReqID})
	r = r.WithContext(ctx)

	if d := s.behaviour().Latency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}

	switch {
	case r.URL.Path == "/v1.0" || strings.HasPrefix(r.URL.Path, "/v1.0/"):
		s.serveGraph(rw, r)
	case r.URL.Path == "/oidc/userinfo":
		s.serveUserInfo(rw, r)
	default:
		s.serveIdentity(rw, r)
	}
	// Paths may carry uniqueName values but never secrets; query strings
	// (codes, assertions in GETs) are deliberately not logged.
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rw.status,
		"duration", time.Since(start), "request-id", reqID)
}

type requestIDsKey struct{}

type requestIDs struct{ request, client string }

func requestIDsFrom(ctx context.Context) requestIDs {
	ids, _ := ctx.Value(requestIDsKey{}).(requestIDs)
	return ids
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
