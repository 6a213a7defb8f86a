package rotation

import (
	"slices"
	"strings"
	"time"
)

// Policy is when a kind of credential is renewed and how long the one it replaces stays valid.
type Policy struct {
	// ValidFor is the lifetime of a new credential.
	ValidFor time.Duration
	// RenewBefore is how long before its end the current credential is replaced. Zero means the
	// operator never renews on its own (a certificate someone else renews): only Stale replaces it.
	RenewBefore time.Duration
	// KeepPrevious is how long a replaced credential stays valid after its successor was added, so
	// workloads that still hold it (a mounted Secret is refreshed by the kubelet with a delay) go on
	// working until they read the new one.
	KeepPrevious time.Duration
}

// Credential is one credential of an application as Graph reports it.
type Credential struct {
	KeyID       string
	DisplayName string
	Start, End  time.Time
}

// Marked reports whether the operator added the credential.
func (c Credential) Marked() bool {
	_, _, ok := ParseMark(c.DisplayName)
	return ok
}

// Added is when the operator added the credential, from its mark; the start date for others.
func (c Credential) Added() time.Time {
	if _, added, ok := ParseMark(c.DisplayName); ok {
		return added
	}
	return c.Start
}

// nonce is the credential's nonce, "" when it is not marked.
func (c Credential) nonce() string {
	n, _, _ := ParseMark(c.DisplayName)
	return n
}

// Input is everything one decision depends on.
type Input struct {
	// Now is the reconcile's time.
	Now time.Time
	// Declared says whether the spec declares this kind of credential; when false every marked
	// credential of the kind goes.
	Declared bool
	Policy   Policy
	// Credentials are all credentials of this kind on the application, marked or not.
	Credentials []Credential
	// Published is the key ID of the credential whose value the output Secret verifiably holds;
	// empty when it holds none.
	Published string
	// Intent is the nonce recorded in status before the last add, while its value may not yet
	// have reached the Secret; empty when none is pending.
	Intent string
	// Stale says the published credential no longer matches the spec (another key type, or the
	// referenced certificate was renewed): it is replaced like one due for renewal.
	Stale bool
	// Rotate says a rotation was requested (the rotate annotation).
	Rotate bool
	// Limit is how many credentials of this kind the application may hold; 0 means no limit the
	// operator needs to mind.
	Limit int
}

// Reason says why a credential is removed.
type Reason string

// Why credentials are removed.
const (
	// ReasonNotDeclared: the spec no longer declares this kind of credential.
	ReasonNotDeclared Reason = "no longer declared"
	// ReasonExpired: the credential has expired and authenticates nothing.
	ReasonExpired Reason = "expired"
	// ReasonOrphan: the credential was added but its value never reached the Secret (an
	// interrupted rotation); nobody can use it.
	ReasonOrphan Reason = "its value never reached the Secret"
	// ReasonOverlapEnded: it was replaced and its overlap has ended.
	ReasonOverlapEnded Reason = "replaced, and its overlap has ended"
	// ReasonMakeRoom: it was never published, and a new credential needs its slot.
	ReasonMakeRoom Reason = "not in the Secret, and a new credential needs its place"
)

// Removal is a marked credential to remove now.
type Removal struct {
	Credential
	Reason Reason
}

// Kept is an earlier credential kept valid through its overlap.
type Kept struct {
	Credential
	// RemoveAt is when its overlap ends; zero while no current credential exists to measure it from.
	RemoveAt time.Time
}

// Plan is what to do now, and when to look again.
type Plan struct {
	// Current is the published credential, nil when the Secret holds none that Entra knows.
	Current *Credential
	// RenewAt is when Current is due for renewal; zero without a current credential or a renewal
	// policy.
	RenewAt time.Time
	// Previous are the earlier marked credentials kept through their overlap.
	Previous []Kept
	// Remove are the marked credentials to remove now.
	Remove []Removal
	// Add says to add a new credential now; it becomes current once the Secret holds its value.
	Add bool
	// Deferred says an add is due but waits until the previous credentials' overlap has ended,
	// so there are never more than two of the operator's credentials at once.
	Deferred bool
	// OverLimit says an add is due but the application already holds Limit credentials that may
	// not be removed (made by someone else, or the current one).
	OverLimit bool
	// WakeAt is the earliest future time at which the plan changes (a renewal, the end of an
	// overlap, an expiry); zero when nothing is scheduled.
	WakeAt time.Time
}

// Decide computes the plan for one kind of credential.
func Decide(in Input) Plan {
	var p Plan
	marked := make([]Credential, 0, len(in.Credentials))
	for _, c := range in.Credentials {
		if c.Marked() {
			marked = append(marked, c)
		}
	}
	if !in.Declared {
		for _, c := range marked {
			p.Remove = append(p.Remove, Removal{c, ReasonNotDeclared})
		}
		return p
	}
	p.Current = findCurrent(marked, in)
	for _, c := range marked {
		if p.Current == nil || !sameKey(c.KeyID, p.Current.KeyID) {
			p.sortEarlier(c, in)
		}
	}
	// An expired current credential is of no use to anyone.
	if p.Current != nil && !in.Now.Before(p.Current.End) {
		p.Remove = append(p.Remove, Removal{*p.Current, ReasonExpired})
		p.Current = nil
		for i := range p.Previous {
			p.Previous[i].RemoveAt = time.Time{}
		}
	}

	due := p.Current == nil || in.Stale || in.Rotate
	if p.Current != nil && in.Policy.RenewBefore > 0 {
		p.RenewAt = p.Current.End.Add(-in.Policy.RenewBefore)
		due = due || !in.Now.Before(p.RenewAt)
	}
	if due {
		p.decideAdd(in)
	}
	p.WakeAt = p.wakeAt(in.Now)
	return p
}

// sortEarlier decides about a marked credential that is not the current one: removed now (expired,
// or an orphan of an interrupted add, or its overlap has ended) or kept through its overlap.
func (p *Plan) sortEarlier(c Credential, in Input) {
	switch {
	case !in.Now.Before(c.End):
		p.Remove = append(p.Remove, Removal{c, ReasonExpired})
	case in.Intent != "" && c.nonce() == in.Intent:
		p.Remove = append(p.Remove, Removal{c, ReasonOrphan})
	case p.Current == nil:
		// Nothing is published: it may still be in use by a workload that read an earlier Secret.
		// It is kept until a new current credential exists to measure its overlap from.
		p.Previous = append(p.Previous, Kept{Credential: c})
	default:
		removeAt := minTime(p.Current.Added().Add(in.Policy.KeepPrevious), c.End)
		if in.Now.Before(removeAt) {
			p.Previous = append(p.Previous, Kept{Credential: c, RemoveAt: removeAt})
		} else {
			p.Remove = append(p.Remove, Removal{c, ReasonOverlapEnded})
		}
	}
}

// decideAdd settles an add that is due: it waits for the previous credentials' overlap to end, or
// makes room under the limit, or is refused by it.
func (p *Plan) decideAdd(in Input) {
	if p.Current != nil && len(p.Previous) > 0 {
		// A third credential would either cut a previous one's overlap short or exceed what
		// personal-account applications allow; the overlap ends soon enough.
		p.Deferred = true
		return
	}
	if in.Limit > 0 {
		held := len(in.Credentials) - len(p.Remove)
		if held+1 > in.Limit && p.Current == nil {
			// Nothing is published, so the kept ones are in nobody's Secret: the oldest make room.
			byEnd := slices.Clone(p.Previous)
			slices.SortFunc(byEnd, func(a, b Kept) int { return a.End.Compare(b.End) })
			for _, k := range byEnd {
				if held+1 <= in.Limit {
					break
				}
				p.Remove = append(p.Remove, Removal{k.Credential, ReasonMakeRoom})
				p.Previous = slices.DeleteFunc(p.Previous, func(c Kept) bool { return sameKey(c.KeyID, k.KeyID) })
				held--
			}
		}
		if held+1 > in.Limit {
			p.OverLimit = true
			return
		}
	}
	p.Add = true
}

// wakeAt is the earliest time after now at which the plan changes.
func (p *Plan) wakeAt(now time.Time) time.Time {
	var times []time.Time
	if p.Current != nil {
		times = append(times, p.RenewAt, p.Current.End)
	}
	for _, k := range p.Previous {
		times = append(times, k.RemoveAt, k.End)
	}
	var wake time.Time
	for _, t := range times {
		if t.After(now) && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	return wake
}

// findCurrent returns the marked credential the Secret holds, if Entra has it.
func findCurrent(marked []Credential, in Input) *Credential {
	if in.Published == "" {
		return nil
	}
	i := slices.IndexFunc(marked, func(c Credential) bool { return sameKey(c.KeyID, in.Published) })
	if i < 0 {
		return nil
	}
	c := marked[i]
	return &c
}

func sameKey(a, b string) bool { return strings.EqualFold(a, b) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
