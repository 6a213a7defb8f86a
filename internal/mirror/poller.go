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
	link, full := p.appLink, p.appLink == ""
	mark := p.Store.WriteMark()
	var all []graph.ApplicationChange
	var changed []string
	for {
		if !full {
			mark = p.Store.WriteMark()
		}
		page, err := p.Delta.ApplicationDelta(ctx, link)
		if err != nil {
			return changed, err
		}
		if full {
			// Only the managed applications are kept: a tenant may hold many more.
			for _, ch := range page.Changes {
				if !ch.Removed && p.Store.managed(ch.App.UniqueName) {
					all = append(all, ch)
				}
			}
		} else {
			changed = append(changed, p.Store.ApplyApplications(page.Changes, mark)...)
		}
		if page.DeltaLink != "" {
			if full {
				changed = p.Store.ReplaceApplications(all, mark)
			}
			p.appLink = page.DeltaLink
			return changed, nil
		}
		link = page.NextLink
	}
}

func (p *Poller) pollServicePrincipals(ctx context.Context) ([]string, error) {
	link, full := p.spLink, p.spLink == ""
	mark := p.Store.WriteMark()
	var all []graph.ServicePrincipalChange
	var changed []string
	for {
		if !full {
			mark = p.Store.WriteMark()
		}
		page, err := p.Delta.ServicePrincipalDelta(ctx, link)
		if err != nil {
			return changed, err
		}
		if full {
			all = append(all, page.Changes...)
		} else {
			changed = append(changed, p.Store.ApplyServicePrincipals(page.Changes, mark)...)
		}
		if page.DeltaLink != "" {
			if full {
				changed = p.Store.ReplaceServicePrincipals(all, mark)
			}
			p.spLink = page.DeltaLink
			return changed, nil
		}
		link = page.NextLink
	}
}
