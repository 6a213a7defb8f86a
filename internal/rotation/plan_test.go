package rotation

import (
	"slices"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day    = 24 * time.Hour
	policy = Policy{ValidFor: 180 * day, RenewBefore: 60 * day, KeepPrevious: day}
)

// marked is a credential the operator added at added, valid for policy.ValidFor.
func marked(keyID, nonce string, added time.Time) Credential {
	return Credential{KeyID: keyID, DisplayName: Mark(nonce, added), Start: added, End: added.Add(policy.ValidFor)}
}

// foreign is a credential someone else made.
func foreign(keyID string, start, end time.Time) Credential {
	return Credential{KeyID: keyID, DisplayName: "made in the portal", Start: start, End: end}
}

func keyIDs[T interface{ key() string }](in []T) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, v.key())
	}
	return out
}

func (r Removal) key() string { return r.KeyID + ":" + string(r.Reason) }
func (k Kept) key() string    { return k.KeyID }

func TestDecide(t *testing.T) {
	cur := marked("cur", "aa", t0)
	prev := marked("prev", "bb", t0.Add(-120*day))
	orphan := marked("orphan", "cc", t0.Add(time.Hour))
	portal := foreign("portal", t0.Add(-400*day), t0.Add(-10*day)) // expired, not ours
	cases := []struct {
		name         string
		in           Input
		current      string
		add          bool
		deferred     bool
		overLimit    bool
		remove, keep []string
		renewAt      time.Time
		wakeAt       time.Time
	}{
		{
			name: "nothing yet: add",
			in:   Input{Now: t0, Declared: true, Policy: policy},
			add:  true,
		},
		{
			name:    "a fresh current credential: nothing to do until its renewal",
			in:      Input{Now: t0.Add(day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur"},
			current: "cur", renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:    "the current credential is due: add its successor",
			in:      Input{Now: t0.Add(120 * day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur"},
			current: "cur", add: true, renewAt: t0.Add(120 * day), wakeAt: t0.Add(180 * day),
		},
		{
			name:    "a previous credential is kept through its overlap",
			in:      Input{Now: t0.Add(time.Hour), Declared: true, Policy: policy, Credentials: []Credential{prev, cur}, Published: "cur"},
			current: "cur", keep: []string{"prev"}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(day),
		},
		{
			name:    "a previous credential goes when its overlap has ended",
			in:      Input{Now: t0.Add(day), Declared: true, Policy: policy, Credentials: []Credential{prev, cur}, Published: "cur"},
			current: "cur", remove: []string{"prev:" + string(ReasonOverlapEnded)}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name: "a previous credential that ends before its overlap is kept until its end",
			in: Input{Now: t0.Add(time.Hour), Declared: true, Policy: policy, Published: "cur", Credentials: []Credential{
				{KeyID: "short", DisplayName: Mark("dd", t0.Add(-10*day)), Start: t0.Add(-10 * day), End: t0.Add(2 * time.Hour)}, cur,
			}},
			current: "cur", keep: []string{"short"}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(2 * time.Hour),
		},
		{
			name:    "an orphan of an interrupted rotation goes at once; the current stays",
			in:      Input{Now: t0.Add(2 * time.Hour), Declared: true, Policy: policy, Credentials: []Credential{cur, orphan}, Published: "cur", Intent: "cc"},
			current: "cur", remove: []string{"orphan:" + string(ReasonOrphan)}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:   "an orphan of the first add goes and the add is retried",
			in:     Input{Now: t0.Add(2 * time.Hour), Declared: true, Policy: policy, Credentials: []Credential{orphan}, Intent: "cc"},
			remove: []string{"orphan:" + string(ReasonOrphan)}, add: true,
		},
		{
			name:    "the intent of a credential that did reach the Secret does not remove it",
			in:      Input{Now: t0.Add(time.Hour), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur", Intent: "aa"},
			current: "cur", renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:    "without its intent an orphan is treated as a previous credential and goes after the overlap",
			in:      Input{Now: t0.Add(2 * time.Hour), Declared: true, Policy: policy, Credentials: []Credential{cur, orphan}, Published: "cur"},
			current: "cur", keep: []string{"orphan"}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(day),
		},
		{
			name:   "no longer declared: every marked credential goes, the portal's stays",
			in:     Input{Now: t0, Declared: false, Policy: policy, Credentials: []Credential{cur, prev, portal}, Published: "cur"},
			remove: []string{"cur:" + string(ReasonNotDeclared), "prev:" + string(ReasonNotDeclared)},
		},
		{
			name:    "an expired credential someone else made is left alone",
			in:      Input{Now: t0, Declared: true, Policy: policy, Credentials: []Credential{portal, cur}, Published: "cur"},
			current: "cur", renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:    "a requested rotation adds at once when nothing overlaps",
			in:      Input{Now: t0.Add(day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur", Rotate: true},
			current: "cur", add: true, renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:    "a requested rotation waits for the previous credential's overlap to end",
			in:      Input{Now: t0.Add(time.Hour), Declared: true, Policy: policy, Credentials: []Credential{prev, cur}, Published: "cur", Rotate: true},
			current: "cur", deferred: true, keep: []string{"prev"}, renewAt: t0.Add(120 * day), wakeAt: t0.Add(day),
		},
		{
			name:    "a stale current credential (new key type, renewed certificate) is replaced",
			in:      Input{Now: t0.Add(day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur", Stale: true},
			current: "cur", add: true, renewAt: t0.Add(120 * day), wakeAt: t0.Add(120 * day),
		},
		{
			name:    "without a renewal policy only staleness replaces the current credential",
			in:      Input{Now: t0.Add(179 * day), Declared: true, Policy: Policy{KeepPrevious: day}, Credentials: []Credential{cur}, Published: "cur"},
			current: "cur", wakeAt: t0.Add(180 * day),
		},
		{
			name:   "an expired current credential goes and a new one is added",
			in:     Input{Now: t0.Add(181 * day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur"},
			remove: []string{"cur:" + string(ReasonExpired)}, add: true,
		},
		{
			name: "a Secret naming a credential Entra does not have: add; the marked ones stay for workloads that read them earlier",
			in:   Input{Now: t0.Add(day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "gone"},
			keep: []string{"cur"}, add: true, wakeAt: t0.Add(180 * day),
		},
		{
			name:    "personal accounts allow two secrets: the portal's and the current leave no room",
			in:      Input{Now: t0.Add(120 * day), Declared: true, Policy: policy, Credentials: []Credential{foreign("p", t0, t0.Add(300*day)), cur}, Published: "cur", Limit: 2},
			current: "cur", overLimit: true, renewAt: t0.Add(120 * day), wakeAt: t0.Add(180 * day),
		},
		{
			name:   "under the limit with nothing published, the oldest unpublished credential makes room",
			in:     Input{Now: t0.Add(time.Hour), Declared: true, Policy: policy, Credentials: []Credential{prev, cur}, Published: "", Limit: 2},
			remove: []string{"prev:" + string(ReasonMakeRoom)}, keep: []string{"cur"}, add: true, wakeAt: t0.Add(180 * day),
		},
		{
			name:    "personal accounts: a rotation works with the previous one gone",
			in:      Input{Now: t0.Add(120 * day), Declared: true, Policy: policy, Credentials: []Credential{cur}, Published: "cur", Limit: 2},
			current: "cur", add: true, renewAt: t0.Add(120 * day), wakeAt: t0.Add(180 * day),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Decide(c.in)
			current := ""
			if p.Current != nil {
				current = p.Current.KeyID
			}
			if current != c.current {
				t.Errorf("current = %q, want %q", current, c.current)
			}
			if p.Add != c.add || p.Deferred != c.deferred || p.OverLimit != c.overLimit {
				t.Errorf("add/deferred/overLimit = %v/%v/%v, want %v/%v/%v", p.Add, p.Deferred, p.OverLimit, c.add, c.deferred, c.overLimit)
			}
			if got := keyIDs(p.Remove); !slices.Equal(got, c.remove) && (len(got) != 0 || len(c.remove) != 0) {
				t.Errorf("remove = %v, want %v", got, c.remove)
			}
			if got := keyIDs(p.Previous); !slices.Equal(got, c.keep) && (len(got) != 0 || len(c.keep) != 0) {
				t.Errorf("keep = %v, want %v", got, c.keep)
			}
			if !p.RenewAt.Equal(c.renewAt) {
				t.Errorf("renewAt = %v, want %v", p.RenewAt, c.renewAt)
			}
			if !p.WakeAt.Equal(c.wakeAt) {
				t.Errorf("wakeAt = %v, want %v", p.WakeAt, c.wakeAt)
			}
		})
	}
}

// TestRotationCycle runs two rotations the way the reconciler does, applying each plan to the
// application, and checks that the application never holds more than two of the operator's
// credentials, that the Secret always names a valid one, and that each rotation costs one add and
// one removal.
func TestRotationCycle(t *testing.T) {
	now := t0
	var creds []Credential
	published := ""
	adds, removes := 0, 0
	apply := func() Plan {
		p := Decide(Input{Now: now, Declared: true, Policy: policy, Credentials: creds, Published: published})
		for _, r := range p.Remove {
			creds = slices.DeleteFunc(creds, func(c Credential) bool { return c.KeyID == r.KeyID })
			removes++
		}
		if p.Add {
			c := marked(NewNonce(), NewNonce(), now)
			creds = append(creds, c)
			published = c.KeyID
			adds++
			p = Decide(Input{Now: now, Declared: true, Policy: policy, Credentials: creds, Published: published})
		}
		marks := 0
		for _, c := range creds {
			if c.Marked() {
				marks++
			}
			if c.KeyID == published && !now.Before(c.End) {
				t.Fatalf("%v: the Secret holds an expired credential", now)
			}
		}
		if marks > 2 {
			t.Fatalf("%v: %d credentials of the operator at once", now, marks)
		}
		return p
	}
	p := apply()
	for range 8 {
		if p.WakeAt.IsZero() {
			t.Fatal("nothing scheduled")
		}
		now = p.WakeAt
		p = apply()
	}
	// Eight wake-ups from the first add: renew, overlap end, renew, overlap end, ...
	if adds != 5 || removes != 4 {
		t.Errorf("%d adds and %d removals, want 5 and 4", adds, removes)
	}
}

func TestMarkRoundTrip(t *testing.T) {
	n := NewNonce()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	nonce, added, ok := ParseMark(Mark(n, at))
	if !ok || nonce != n || !added.Equal(at) {
		t.Fatalf("ParseMark(Mark) = %q %v %v", nonce, added, ok)
	}
	if len(n) != 2*nonceBytes || NewNonce() == n {
		t.Errorf("nonce %q is not a fresh %d-byte value", n, nonceBytes)
	}
	for _, s := range []string{
		"", "made in the portal", MarkPrefix, MarkPrefix + "abc", MarkPrefix + "/123", MarkPrefix + "abc/",
		MarkPrefix + "ABC/123", MarkPrefix + "abc/-1", MarkPrefix + "abc/0123", MarkPrefix + "abc/12 ", MarkPrefix + "xyz/1",
		"x" + MarkPrefix + "abc/1",
	} {
		if _, _, ok := ParseMark(s); ok {
			t.Errorf("ParseMark(%q) accepted a displayName Mark never writes", s)
		}
	}
}
