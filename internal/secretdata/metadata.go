package secretdata

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
)

// AnnotationSpecMetadata records the keys of spec.secret.labels and spec.secret.annotations the
// operator last put on the Secret, so that a key the spec drops is removed while labels and
// annotations others put on the Secret stay.
const AnnotationSpecMetadata = "entra.sso-operator.io/spec-metadata"

// AnnotationContentHash is the Secret's ContentHash. The operator writes it on the Secret with the
// data, and on the pod templates of spec.secret.consumers, where its change rolls their pods.
const AnnotationContentHash = "entra.sso-operator.io/secret-hash"

// Metadata are labels and annotations of a Secret.
type Metadata struct {
	Labels      map[string]string
	Annotations map[string]string
}

// specKeys is the record AnnotationSpecMetadata holds.
type specKeys struct {
	Labels      []string `json:"labels,omitempty"`
	Annotations []string `json:"annotations,omitempty"`
}

// MergeMetadata returns the Secret's next labels and annotations from its current ones: the
// operator's own (own: its labels, and the annotations that record the Secret's credentials and
// format) set, the spec's set, the spec's of last time that the spec no longer has removed, and
// everyone else's kept. The operator's own win over the spec's (admission refuses such keys
// anyway).
func MergeMetadata(current, own, spec Metadata) Metadata {
	var before specKeys
	if raw := current.Annotations[AnnotationSpecMetadata]; raw != "" {
		// A record that does not parse was edited by hand: the keys it named cannot be known, so
		// they stay, and the next record is written anew.
		_ = json.Unmarshal([]byte(raw), &before)
	}
	labels := maps.Clone(current.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	for _, k := range before.Labels {
		delete(labels, k)
	}
	maps.Copy(labels, spec.Labels)
	maps.Copy(labels, own.Labels)

	annotations := maps.Clone(current.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	for _, k := range append(slices.Clone(CredentialAnnotations), AnnotationSpecMetadata, AnnotationContentHash) {
		delete(annotations, k)
	}
	for _, k := range before.Annotations {
		delete(annotations, k)
	}
	maps.Copy(annotations, spec.Annotations)
	maps.Copy(annotations, own.Annotations)
	record := specKeys{Labels: slices.Sorted(maps.Keys(spec.Labels)), Annotations: slices.Sorted(maps.Keys(spec.Annotations))}
	if len(record.Labels)+len(record.Annotations) > 0 {
		raw, err := json.Marshal(record)
		if err != nil {
			panic("secretdata: marshaling a list of strings: " + err.Error()) // cannot happen
		}
		annotations[AnnotationSpecMetadata] = string(raw)
	}
	return Metadata{Labels: nilIfEmpty(labels), Annotations: nilIfEmpty(annotations)}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// ContentHash is the SHA-256 of a Secret's keys and values, in hex: equal exactly when the
// data is. Each key and value is written with its length first, so no two different Secrets
// hash alike by moving bytes between a key and a value.
func ContentHash(data map[string][]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, k := range slices.Sorted(maps.Keys(data)) {
		for _, part := range [][]byte{[]byte(k), data[k]} {
			binary.BigEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
