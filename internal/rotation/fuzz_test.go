package rotation

import (
	"slices"
	"testing"
	"time"
)

// FuzzParseMark: any displayName parses without panicking, and one that parses is exactly what
// Mark writes for its nonce and time, so a hand-edited name is never half understood.
func FuzzParseMark(f *testing.F) {
	f.Add(Mark("0123456789abcdef", t0))
	f.Add(MarkPrefix + "ab/1")
	f.Add("made in the portal")
	f.Add(MarkPrefix + "ab/99999999999999999999")
	f.Fuzz(func(t *testing.T, name string) {
		nonce, added, ok := ParseMark(name)
		if !ok {
			return
		}
		if Mark(nonce, added) != name {
			t.Fatalf("ParseMark(%q) = %q, %v: Mark writes %q", name, nonce, added, Mark(nonce, added))
		}
	})
}

// FuzzDecide checks the invariants every plan keeps, for credentials built from the fuzzer's
// bytes: a credential someone else made is never removed, the published one is never removed while
// valid, an add never makes three of the operator's credentials, and an add, a deferral and the
// limit exclude each other.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{1, 10, 200, 0, 2, 30, 100, 1}, uint16(50), uint8(1), uint8(0), false, uint8(2))
	f.Add([]byte{0, 0, 0, 0}, uint16(0), uint8(0), uint8(1), true, uint8(0))
	f.Fuzz(func(t *testing.T, spec []byte, nowDays uint16, published, intent uint8, rotate bool, limit uint8) {
		creds := fuzzCredentials(spec)
		in := Input{Now: t0.Add(time.Duration(nowDays) * day), Declared: true, Policy: policy, Credentials: creds, Rotate: rotate, Limit: int(limit % 4)}
		if int(published) < len(creds) {
			in.Published = creds[published].KeyID
		}
		if int(intent) < len(creds) {
			in.Intent = creds[intent].nonce()
		}
		checkInvariants(t, in, Decide(in))
	})
}

// fuzzCredentials builds up to 12 credentials from four bytes each: marked or not, start and
// lifetime in days.
func fuzzCredentials(spec []byte) []Credential {
	var creds []Credential
	for i := 0; i+3 < len(spec) && len(creds) < 12; i += 4 {
		start := t0.Add(time.Duration(spec[i+1]) * day)
		c := Credential{KeyID: string(rune('a' + len(creds))), Start: start, End: start.Add(time.Duration(spec[i+2]+1) * day)}
		if spec[i]%2 == 1 {
			c.DisplayName = Mark(string(rune('a'+len(creds)))+"0", start)
		}
		creds = append(creds, c)
	}
	return creds
}

// checkInvariants fails when a plan breaks a rule every plan keeps.
func checkInvariants(t *testing.T, in Input, p Plan) {
	t.Helper()
	for _, r := range p.Remove {
		if !r.Marked() {
			t.Fatalf("removes %s, which the operator did not make", r.KeyID)
		}
		if r.KeyID == in.Published && in.Now.Before(r.End) {
			t.Fatalf("removes the published, valid credential %s (%s)", r.KeyID, r.Reason)
		}
	}
	if p.Current != nil && p.Add && len(p.Previous) > 0 {
		t.Fatal("adds a third credential beside a current and a previous one")
	}
	if (p.Add && (p.Deferred || p.OverLimit)) || (p.Deferred && p.OverLimit) {
		t.Fatalf("add/deferred/overLimit = %v/%v/%v", p.Add, p.Deferred, p.OverLimit)
	}
	if held := len(in.Credentials) - len(p.Remove); p.Add && in.Limit > 0 && held+1 > in.Limit {
		t.Fatalf("adds a credential past the limit of %d (%d held)", in.Limit, held)
	}
	if !p.WakeAt.IsZero() && !p.WakeAt.After(in.Now) {
		t.Fatalf("wakes at %v, not after now %v", p.WakeAt, in.Now)
	}
	ids := make([]string, 0, len(p.Remove)+len(p.Previous))
	for _, r := range p.Remove {
		ids = append(ids, r.KeyID)
	}
	ids = slices.Concat(ids, keyIDs(p.Previous))
	if slices.Sort(ids); len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("a credential is both kept and removed, or listed twice: %v", ids)
	}
}
