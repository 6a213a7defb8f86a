package mirror

import (
	"context"
	"slices"
	"time"

	"github.com/go-logr/logr"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Poller keeps a Store current with one tenant-wide delta poll per interval: a full round first
// (and again whenever Graph has dropped the delta state), then changes only. It reports the managed
// applications whose picture changed, so only those are reconciled.
type Poller struct {
	Delta graph.Delta
	Store *Store
	// Interval is the pause between polls; RetryAfter the pause after a failed one.
	Interval   time.Duration
	RetryAfter time.Duration
	// OnChange is told the unique names of managed applications that are new, changed or gone, or
	// whose service principal is gone.
	OnChange func(uniqueNames []string)
	// OnPrimed is called once, after the first full rounds.
	OnPrimed func()
	Log      logr.Logger

	appLink, spLink string
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	for {
		wait := p.Interval
		if err := p.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.Log.Error(err, "Delta poll failed; reconciles read Microsoft Graph directly while the mirror is stale", "retryIn", p.RetryAfter)
			wait = p.RetryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Poll runs one poll: applications, then service principals (whose mirror keeps only those of
// managed applications, so it needs the applications first). When Graph answers that its delta
// state is gone, the mirror stops answering and the round starts over in full at once. What
// changed is reported once the whole poll is done, so the reconciles it starts find the mirror
// fresh.
func (p *Poller) Poll(ctx context.Context) error {
	changed, err := p.pollApplications(ctx)
	if graph.KindOf(err) == graph.KindResyncRequired {
		p.Log.Info("Graph dropped the applications' delta state; reading every application again", "reason", err.Error())
		p.Store.markBroken()
		p.appLink, p.spLink = "", ""
		changed, err = p.pollApplications(ctx)
	}
	if err != nil {
		p.report(changed)
		return err
	}
	spChanged, err := p.pollServicePrincipals(ctx)
	if graph.KindOf(err) == graph.KindResyncRequired {
		p.Log.Info("Graph dropped the service principals' delta state; reading every service principal again", "reason", err.Error())
		p.Store.markBroken()
		p.spLink = ""
		spChanged, err = p.pollServicePrincipals(ctx)
	}
	changed = append(changed, spChanged...)
	if err != nil {
		p.report(changed)
		return err
	}
	if p.Store.markSynced() && p.OnPrimed != nil {
		p.OnPrimed()
	}
	p.report(changed)
	return nil
}

func (p *Poller) report(changed []string) {
	if len(changed) > 0 && p.OnChange != nil {
		slices.Sort(changed)
		p.OnChange(slices.Compact(changed))
	}
}

// pollApplications runs a full round when there is no delta link, else follows the changes.
func (p *Poller) pollApplications(ctx context.Context) ([]string, error) {
	// A full round keeps only the managed applications: a tenant may hold many more.
	keep := func(ch graph.ApplicationChange) bool { return !ch.Removed && p.Store.managed(ch.App.UniqueName) }
	return pollRound(ctx, p.Store, &p.appLink, p.Delta.ApplicationDelta, keep, p.Store.ApplyApplications, p.Store.ReplaceApplications)
}

func (p *Poller) pollServicePrincipals(ctx context.Context) ([]string, error) {
	keep := func(graph.ServicePrincipalChange) bool { return true }
	return pollRound(ctx, p.Store, &p.spLink, p.Delta.ServicePrincipalDelta, keep, p.Store.ApplyServicePrincipals, p.Store.ReplaceServicePrincipals)
}

// pollRound follows one delta round from *link, or a full round when *link is empty, and on its last
// page stores the new delta link. Changes are applied page by page, each with the write mark taken
// before its fetch; a full round is collected and replaces the mirror's picture at once.
func pollRound[T any](ctx context.Context, store *Store, link *string,
	fetch func(context.Context, string) (graph.DeltaPage[T], error), keep func(T) bool,
	apply, replace func([]T, uint64) []string,
) ([]string, error) {
	next, full := *link, *link == ""
	mark := store.WriteMark()
	var all []T
	var changed []string
	for {
		if !full {
			mark = store.WriteMark()
		}
		page, err := fetch(ctx, next)
		if err != nil {
			return changed, err
		}
		if full {
			for _, ch := range page.Changes {
				if keep(ch) {
					all = append(all, ch)
				}
			}
		} else {
			changed = append(changed, apply(page.Changes, mark)...)
		}
		if page.DeltaLink != "" {
			if full {
				changed = replace(all, mark)
			}
			*link = page.DeltaLink
			return changed, nil
		}
		next = page.NextLink
	}
}
