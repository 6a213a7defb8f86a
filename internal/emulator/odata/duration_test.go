package odata

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	ok := map[string]time.Duration{
		"P90D":         90 * 24 * time.Hour,
		"P4DT12H30M5S": 4*24*time.Hour + 12*time.Hour + 30*time.Minute + 5*time.Second,
		"PT1H":         time.Hour,
		"PT0.5S":       500 * time.Millisecond,
		"-P1D":         -24 * time.Hour,
		"PT90M":        90 * time.Minute,
		"P1W":          7 * 24 * time.Hour,
		"P2W3D":        17 * 24 * time.Hour,
	}
	for in, want := range ok {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "P1DT", "90D", "P1Y", "P1M", "P1D1W", "P1.5D", "PT1H1D", "P1D ", "p1d", "P999999999999D"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

// FuzzParseDuration: any string parses or is refused without panicking, and what parses has the
// sign its text says.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"P90D", "P4DT12H30M5S", "-PT1.25S", "PT", "P1DT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if (d < 0) != (s[0] == '-') && d != 0 {
			t.Fatalf("ParseDuration(%q) = %v has the wrong sign", s, d)
		}
	})
}
