package graph

import (
	"fmt"
	"strings"
	"testing"
)

// A secret's value formatted by mistake, with any verb, shows nothing.
func TestSecretTextNeverPrints(t *testing.T) {
	s := NewSecretText("abc8Q~value")
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x"} {
		if out := fmt.Sprintf(verb, s); out == "" || containsValue(out) {
			t.Errorf("%s printed %q", verb, out)
		}
	}
	if out := fmt.Sprintf("%v", struct{ S SecretText }{s}); containsValue(out) {
		t.Errorf("a struct holding it printed %q", out)
	}
	if s.Reveal() != "abc8Q~value" {
		t.Error("Reveal lost the value")
	}
}

// containsValue reports whether out holds the value, as text or hex.
func containsValue(out string) bool {
	return strings.Contains(out, "abc8Q") || strings.Contains(out, "616263")
}
