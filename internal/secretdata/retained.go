package secretdata

import "slices"

// Retained is the part of a Secret's data the operator must hold in memory to write the Secret
// again: the credentials, whose values exist nowhere else, and every key the format does not
// write (the templates' keys, whose last values stand in when a template fails). The format's
// other keys (IDs, endpoints, scopes) are rendered anew from the spec and Entra at each reconcile,
// so a Secret held without them but with its ContentHash (AnnotationContentHash) tells as much: the
// hash says whether its content is what the operator would write. The data is not copied; an
// unknown format keeps everything.
func Retained(data map[string][]byte, format Format) map[string][]byte {
	l, err := layoutOf(format)
	if err != nil {
		return data
	}
	credentials := []string{l.clientSecret, l.certificate, l.privateKey}
	var out map[string][]byte
	for k, v := range data {
		if slices.Contains(l.keys, k) && !slices.Contains(credentials, k) {
			continue
		}
		if out == nil {
			out = make(map[string][]byte, len(data))
		}
		out[k] = v
	}
	return out
}
