// Package tenants resolves which Microsoft Entra ID tenant an AppRegistration lives in, and hands out
// that tenant's Graph client: the operator's own environment identity (the single-tenant default),
// or an EntraConnection a cluster administrator wrote. It builds one Graph client per connection and
// one write budget per tenant, and refuses a namespace a connection does not admit.
package tenants

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
	"github.com/entra-sso-operator/entra-sso-operator/internal/policy"
)

// Connection is a tenant an AppRegistration's application lives in, ready to use.
type Connection struct {
	// Name is the EntraConnection's name, or "" for the operator's environment identity.
	Name string
	// TenantID is the tenant's ID.
	TenantID string
	// Cloud names the endpoints written to Secrets.
	Cloud cloud.Cloud
	// Graph is the tenant's Graph client.
	Graph graph.Client
	// Policy limits what AppRegistrations using the connection may ask for.
	Policy entrav1alpha1.RegistrationPolicy
}

// Reasons a connection cannot be used; they become the AppRegistration's Ready reason.
const (
	ReasonConnectionNotFound    = entrav1alpha1.ReasonConnectionNotFound
	ReasonNamespaceNotAdmitted  = entrav1alpha1.ReasonNamespaceNotAdmitted
	ReasonConnectionUnavailable = entrav1alpha1.ReasonConnectionUnavailable
)

// Error says why an AppRegistration cannot use the connection it names. Only a change by a person
// (the object's spec, the connection, the namespace's labels) can resolve it.
type Error struct {
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Options configure a Registry.
type Options struct {
	// Reader reads EntraConnections and namespaces' labels (as metadata only).
	Reader client.Reader
	// SecretReader reads the connections' credential Secrets; nil means Reader. The manager's cache
	// holds only the Secrets the operator labels, so the manager passes its API reader.
	SecretReader client.Reader
	// OperatorNamespace holds the Secrets connections refer to.
	OperatorNamespace string
	// Environment is the connection built from the operator's environment, used by AppRegistrations
	// that name none (and by every one when DefaultConnection is empty); nil disables it.
	Environment *Connection
	// DefaultConnection names the EntraConnection for AppRegistrations that name none; empty means
	// the environment connection.
	DefaultConnection string
	// Connect builds the Graph client of a tenant for an identity, its writes paced by the tenant's
	// budget (msgraph.Connector; this package does not know the SDK).
	Connect func(c cloud.Cloud, id graph.Identity, writes *rate.Limiter) (graph.Client, error)
	// WriteQPS and WriteBurst size each tenant's write budget.
	WriteQPS   float64
	WriteBurst int
	// CredentialRecheck is how often a built client's credential Secret is looked at again for a
	// change; 0 means a minute.
	CredentialRecheck time.Duration
	// Now is the time source; nil means time.Now.
	Now func() time.Time
	// WithoutConnections says the operator holds no cluster-wide permission (--watch-namespaces):
	// EntraConnections, cluster-scoped, are not read, and only the environment connection serves.
	WithoutConnections bool
}

// Registry resolves connections and keeps their clients.
type Registry struct {
	opts Options

	mu       sync.Mutex
	built    map[string]*builtConnection
	limiters map[string]*rate.Limiter
}

// builtConnection is a connection's client with what it was built from, to notice changes.
type builtConnection struct {
	conn *Connection
	// version identifies the EntraConnection and its credential Secret the client was built from.
	version   string
	checkedAt time.Time
}

// NewRegistry returns a registry. The environment connection, if any, gets its tenant's shared
// write budget like every other.
func NewRegistry(opts Options) *Registry {
	if opts.CredentialRecheck <= 0 {
		opts.CredentialRecheck = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Registry{opts: opts, built: map[string]*builtConnection{}, limiters: map[string]*rate.Limiter{}}
}

// SetEnvironment installs the connection built from the operator's environment (nil: none), used
// by AppRegistrations that name no connection when DefaultConnection is empty.
func (r *Registry) SetEnvironment(c *Connection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts.Environment = c
}

// WriteLimiter is the tenant's one write budget, shared by every connection to the tenant, so two
// connections to one tenant cannot spend Graph's per-tenant quota twice.
func (r *Registry) WriteLimiter(tenantID string) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limiterLocked(tenantID)
}

func (r *Registry) limiterLocked(tenantID string) *rate.Limiter {
	key := strings.ToLower(tenantID)
	l := r.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(r.opts.WriteQPS), r.opts.WriteBurst)
		r.limiters[key] = l
	}
	return l
}

// ConnectionName is the connection an AppRegistration uses: its spec's, or the default.
func (r *Registry) ConnectionName(obj *entrav1alpha1.AppRegistration) string {
	if obj.Spec.Connection != "" {
		return obj.Spec.Connection
	}
	return r.opts.DefaultConnection
}

// Resolve returns the connection obj uses, after checking its namespace is admitted.
func (r *Registry) Resolve(ctx context.Context, obj *entrav1alpha1.AppRegistration) (*Connection, error) {
	return r.resolve(ctx, obj, true)
}

// ResolveForDeletion returns the connection obj's application lives in without asking whether its
// namespace is still admitted: an application made while it was must still be cleaned up.
func (r *Registry) ResolveForDeletion(ctx context.Context, obj *entrav1alpha1.AppRegistration) (*Connection, error) {
	return r.resolve(ctx, obj, false)
}

func (r *Registry) resolve(ctx context.Context, obj *entrav1alpha1.AppRegistration, admit bool) (*Connection, error) {
	name := r.ConnectionName(obj)
	if name == "" {
		r.mu.Lock()
		env := r.opts.Environment
		r.mu.Unlock()
		if env == nil {
			return nil, &Error{Reason: ReasonConnectionNotFound,
				Message: "spec.connection is empty and the operator has no default connection: name an EntraConnection"}
		}
		return env, nil
	}
	if r.opts.WithoutConnections {
		return nil, &Error{Reason: ReasonConnectionNotFound, Message: fmt.Sprintf("the operator watches only some namespaces "+
			"(--watch-namespaces) and does not read EntraConnections; remove spec.connection (%s) to use its own tenant", name)}
	}
	ec := &entrav1alpha1.EntraConnection{}
	if err := r.opts.Reader.Get(ctx, types.NamespacedName{Name: name}, ec); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &Error{Reason: ReasonConnectionNotFound, Message: fmt.Sprintf("EntraConnection %s does not exist", name)}
		}
		return nil, fmt.Errorf("reading EntraConnection %s: %w", name, err)
	}
	if admit {
		if err := r.admit(ctx, ec, obj.Namespace); err != nil {
			return nil, err
		}
	}
	return r.Build(ctx, ec)
}

// admit refuses a namespace the connection does not admit.
func (r *Registry) admit(ctx context.Context, ec *entrav1alpha1.EntraConnection, namespace string) error {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.opts.Reader.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		return fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	ok, err := policy.Admits(ec.Spec.Namespaces, namespace, ns.Labels)
	if err != nil {
		return &Error{Reason: ReasonConnectionUnavailable, Message: fmt.Sprintf("EntraConnection %s: %v", ec.Name, err)}
	}
	if !ok {
		return &Error{Reason: ReasonNamespaceNotAdmitted, Message: fmt.Sprintf(
			"EntraConnection %s does not admit namespace %s (spec.namespaces); ask a cluster administrator to add it", ec.Name, namespace)}
	}
	return nil
}

// Build returns the connection's client, building it again when the EntraConnection or its
// credential Secret changed. It does not check namespaces: Resolve does.
func (r *Registry) Build(ctx context.Context, ec *entrav1alpha1.EntraConnection) (*Connection, error) {
	now := r.opts.Now()
	r.mu.Lock()
	b := r.built[ec.Name]
	r.mu.Unlock()
	specVersion := fmt.Sprintf("%s/%d", ec.UID, ec.Generation)
	if b != nil && strings.HasPrefix(b.version, specVersion+"/") && now.Sub(b.checkedAt) < r.opts.CredentialRecheck {
		return withPolicy(b.conn, ec), nil
	}
	id, secretVersion, err := r.identity(ctx, ec)
	if err != nil {
		return nil, err
	}
	version := specVersion + "/" + secretVersion
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.built[ec.Name]; b != nil && b.version == version {
		b.checkedAt = now
		return withPolicy(b.conn, ec), nil
	}
	conn, err := r.build(ec, id)
	if err != nil {
		return nil, err
	}
	r.built[ec.Name] = &builtConnection{conn: conn, version: version, checkedAt: now}
	return withPolicy(conn, ec), nil
}

// withPolicy is the built connection with the policy the EntraConnection holds now: a copy, since
// the built one is shared by every reconcile using the connection.
func withPolicy(built *Connection, ec *entrav1alpha1.EntraConnection) *Connection {
	c := *built
	c.Policy = ec.Spec.Policy
	return &c
}

// identity reads the connection's credentials from the operator's namespace.
func (r *Registry) identity(ctx context.Context, ec *entrav1alpha1.EntraConnection) (graph.Identity, string, error) {
	creds := ec.Spec.Credentials
	id := graph.Identity{TenantID: ec.Spec.TenantID, ClientID: creds.ClientID}
	unavailable := func(format string, args ...any) error {
		return &Error{Reason: ReasonConnectionUnavailable, Message: fmt.Sprintf("EntraConnection %s: ", ec.Name) + fmt.Sprintf(format, args...)}
	}
	var ref *entrav1alpha1.ConnectionSecretKeyRef
	switch {
	case creds.ClientSecret != nil:
		ref = creds.ClientSecret
	case creds.Certificate != nil:
		ref = creds.Certificate
	case creds.WorkloadIdentity != nil:
		id.TokenFile = creds.WorkloadIdentity.TokenFile
		if id.TokenFile == "" {
			id.TokenFile = envTokenFile()
		}
		if id.TokenFile == "" {
			return id, "", unavailable("workload identity needs a token file, and AZURE_FEDERATED_TOKEN_FILE is not set in the operator's pod")
		}
		return id, "workload-identity", nil
	default:
		return id, "", unavailable("no credentials")
	}
	secret := &corev1.Secret{}
	reader := r.opts.SecretReader
	if reader == nil {
		reader = r.opts.Reader
	}
	if err := reader.Get(ctx, types.NamespacedName{Namespace: r.opts.OperatorNamespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return id, "", unavailable("Secret %s/%s does not exist", r.opts.OperatorNamespace, ref.Name)
		}
		return id, "", fmt.Errorf("reading the credentials of EntraConnection %s: %w", ec.Name, err)
	}
	if creds.ClientSecret != nil {
		key := ref.Key
		if key == "" {
			key = "AZURE_CLIENT_SECRET"
		}
		id.ClientSecret = string(secret.Data[key])
		if id.ClientSecret == "" {
			return id, "", unavailable("Secret %s/%s has no key %s", r.opts.OperatorNamespace, ref.Name, key)
		}
	} else {
		id.Certificate, id.Key = secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
		if len(id.Certificate) == 0 || len(id.Key) == 0 {
			return id, "", unavailable("Secret %s/%s lacks tls.crt or tls.key", r.opts.OperatorNamespace, ref.Name)
		}
	}
	return id, string(secret.UID) + "/" + secret.ResourceVersion, nil
}

// build makes the connection's Graph client. Callers hold r.mu.
func (r *Registry) build(ec *entrav1alpha1.EntraConnection, id graph.Identity) (*Connection, error) {
	cloudName := string(ec.Spec.Cloud)
	if cloudName == "" {
		cloudName = cloud.Public.Name
	}
	c, err := cloud.ByName(cloudName)
	if err == nil {
		c, err = c.WithOverrides(ec.Spec.AuthorityHost, ec.Spec.GraphEndpoint)
	}
	if err != nil {
		return nil, &Error{Reason: ReasonConnectionUnavailable, Message: fmt.Sprintf("EntraConnection %s: %v", ec.Name, err)}
	}
	gc, err := r.opts.Connect(c, id, r.limiterLocked(id.TenantID))
	if err != nil {
		return nil, &Error{Reason: ReasonConnectionUnavailable, Message: fmt.Sprintf("EntraConnection %s: %v", ec.Name, err)}
	}
	return &Connection{Name: ec.Name, TenantID: strings.ToLower(id.TenantID), Cloud: c, Graph: gc, Policy: ec.Spec.Policy}, nil
}

// Forget drops a deleted connection's client.
func (r *Registry) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.built, name)
}

// IsError reports whether err says a connection cannot be used, and returns it.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// envTokenFile is the federated token file workload identity projects into the operator's pod.
func envTokenFile() string { return os.Getenv("AZURE_FEDERATED_TOKEN_FILE") }
