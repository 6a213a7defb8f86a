package mirror

import (
	"context"
	"errors"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Client is a graph.Client that answers reads of managed applications and their service
// principals from the mirror while it is fresh, and keeps the mirror current with the operator's
// own writes (write-through). Every other call, including calls added to graph.Client later, goes
// straight to Graph through the embedded client; the writes among them reach the mirror through
// the underlying client's OnWrite hook (Store.OnWrite), which makes the mirror stop answering for
// the application they touched.
type Client struct {
	graph.Client
	store *Store
}

// NewClient decorates next with the mirror in store.
func NewClient(next graph.Client, store *Store) *Client { return &Client{Client: next, store: store} }

type ctxKey int

const (
	directKey ctxKey = iota
	handledKey
)

// DirectReads returns a context whose reads of applications go to Graph, not the mirror: the
// periodic backstop verifies every application against Graph itself (what delta query does not
// track, or may not, lives on the application) and refreshes the mirror with what it reads. A
// service principal is still answered by the mirror: the operator needs only its existence, which
// delta query tracks.
func DirectReads(ctx context.Context) context.Context { return context.WithValue(ctx, directKey, true) }

func direct(ctx context.Context) bool { v, _ := ctx.Value(directKey).(bool); return v }

// handled marks a write whose effect this Client records itself.
func handled(ctx context.Context) context.Context { return context.WithValue(ctx, handledKey, true) }

// OnWrite is the hook for the underlying client's writes (msgraph.Options.OnWrite): a write this
// Client does not model makes the mirror stop answering for that application.
func (s *Store) OnWrite(ctx context.Context, uniqueName string) {
	if v, _ := ctx.Value(handledKey).(bool); !v {
		s.Invalidate(uniqueName)
	}
}

// GetApplication implements graph.Applications.
func (c *Client) GetApplication(ctx context.Context, uniqueName string) (graph.Application, error) {
	if !direct(ctx) {
		if app, ok := c.store.Application(uniqueName); ok {
			return app, nil
		}
	}
	app, err := c.Client.GetApplication(ctx, uniqueName)
	if err == nil {
		c.store.PutApplication(app)
	}
	return app, err
}

// UpsertApplication implements graph.Applications.
func (c *Client) UpsertApplication(ctx context.Context, uniqueName string, app graph.Application) (graph.Application, bool, error) {
	res, created, err := c.Client.UpsertApplication(handled(ctx), uniqueName, app)
	switch {
	case err != nil:
		c.store.Invalidate(uniqueName)
	case created:
		c.store.PutApplication(res)
	default:
		c.store.MergeWrite(uniqueName, app, graph.ManagedFields)
	}
	return res, created, err
}

// UpdateApplication implements graph.Applications.
func (c *Client) UpdateApplication(ctx context.Context, uniqueName string, app graph.Application, fields []graph.Field) error {
	err := c.Client.UpdateApplication(handled(ctx), uniqueName, app, fields)
	if err != nil {
		c.store.Invalidate(uniqueName)
		return err
	}
	c.store.MergeWrite(uniqueName, app, fields)
	return nil
}

// DeleteApplication implements graph.Applications.
func (c *Client) DeleteApplication(ctx context.Context, uniqueName string) error {
	err := c.Client.DeleteApplication(handled(ctx), uniqueName)
	if err == nil || errors.Is(err, graph.ErrNotFound) {
		c.store.Forget(uniqueName)
	} else {
		c.store.Invalidate(uniqueName)
	}
	return err
}

// GetServicePrincipal implements graph.ServicePrincipals.
func (c *Client) GetServicePrincipal(ctx context.Context, appID string) (graph.ServicePrincipal, error) {
	if sp, ok := c.store.ServicePrincipal(appID); ok {
		return sp, nil
	}
	sp, err := c.Client.GetServicePrincipal(ctx, appID)
	if err == nil {
		c.store.PutServicePrincipal(sp)
	}
	return sp, err
}

// CreateServicePrincipal implements graph.ServicePrincipals.
func (c *Client) CreateServicePrincipal(ctx context.Context, app graph.Application) (graph.ServicePrincipal, error) {
	sp, err := c.Client.CreateServicePrincipal(handled(ctx), app)
	if err == nil {
		c.store.PutServicePrincipal(sp)
	}
	return sp, err
}
