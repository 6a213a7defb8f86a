// Package rotation is the credential rotation policy, pure and table-tested: from what Graph
// reports on an application, what the output Secret holds and the time, it decides which
// credential is current, when it is due for renewal, which earlier ones are kept for their overlap
// and which are removed now. It does no I/O and reads no clock.
//
// Ownership follows from Entra and the Secret alone. The operator marks every credential it adds
// with a displayName (see Mark) and only ever removes marked ones; the credential the Secret holds
// is current; every other marked credential is either a previous one kept through its overlap, or
// an orphan whose value never reached the Secret. An intent (the nonce recorded in status before an
// add) only lets an orphan go at once instead of after the overlap.
package rotation

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MarkPrefix starts the displayName of every credential the operator adds. Credentials without it
// were made by someone else and are never removed.
const MarkPrefix = "entra-sso-operator/"

// nonceBytes is the nonce's entropy: enough that two adds never share one.
const nonceBytes = 8

// maxNonceLength bounds the nonce ParseMark accepts, so a displayName edited in the portal cannot
// make status or events carry long text.
const maxNonceLength = 64

// NewNonce returns a fresh random nonce for one add.
func NewNonce() string {
	b := make([]byte, nonceBytes)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a credential without a unique nonce
		// could be mistaken for another, so refuse to go on.
		panic(fmt.Sprintf("rotation: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// Mark is the displayName of a credential the operator adds: the prefix, the add's nonce (also
// recorded in status as the intent before the add) and when it was added, in Unix seconds. The time
// is what the overlap of the credential it replaces is measured from, whatever the credential's own
// start date says (an uploaded certificate may have been issued long before).
func Mark(nonce string, added time.Time) string {
	return MarkPrefix + nonce + "/" + strconv.FormatInt(added.Unix(), 10)
}

// ParseMark reads a displayName written by Mark. ok is false for any other displayName: a
// credential someone else made.
func ParseMark(displayName string) (nonce string, added time.Time, ok bool) {
	rest, found := strings.CutPrefix(displayName, MarkPrefix)
	if !found {
		return "", time.Time{}, false
	}
	nonce, unix, found := strings.Cut(rest, "/")
	if !found || nonce == "" || len(nonce) > maxNonceLength || !isHex(nonce) {
		return "", time.Time{}, false
	}
	secs, err := strconv.ParseInt(unix, 10, 64)
	if err != nil || secs < 0 || strconv.FormatInt(secs, 10) != unix {
		return "", time.Time{}, false
	}
	return nonce, time.Unix(secs, 0).UTC(), true
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
