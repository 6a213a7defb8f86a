package odata

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// durationRe is Graph's Edm.Duration: an ISO 8601 duration of days, hours, minutes and seconds
// (P4DT12H30M5S), as Graph's schema writes it for app management policies' maxLifetime, plus
// weeks, which msgraph-sdk-go writes (it sends P7D as P1W). Years and months have no fixed length
// and are refused.
var durationRe = regexp.MustCompile(`^(-?)P(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$`)

// ParseDuration reads an Edm.Duration. A duration must name at least one component, and "T" must
// be followed by one; values beyond what time.Duration holds (about 292 years) are refused.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRe.FindStringSubmatch(s)
	if m == nil || (m[2] == "" && m[3] == "" && m[4] == "" && m[5] == "" && m[6] == "") || (s[len(s)-1] == 'T') {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration such as P90D or P4DT12H30M5S", s)
	}
	total := 0.0
	for i, unit := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second} {
		part := m[i+2]
		if part == "" {
			continue
		}
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", s, err)
		}
		total += v * float64(unit)
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is longer than the emulator can represent", s)
	}
	d := time.Duration(total)
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}
