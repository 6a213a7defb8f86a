package secretdata

import (
	"encoding/base64"
	"strings"
	"text/template"
)

// Template is one entry of spec.secret.templates: a key and the Go template (text/template) its
// value is rendered from, over Values.
type Template struct {
	Key   string
	Value string
}

// templateFuncs are the functions a template may call besides text/template's own. Their argument
// order lets them end a pipeline: {{ .AuthorityHost | trimSuffix "/" }}.
var templateFuncs = template.FuncMap{
	// join joins a list, such as .RedirectURIs, with a separator: {{ join .RedirectURIs "," }}.
	"join": func(list []string, sep string) string { return strings.Join(list, sep) },
	// b64enc is the standard base64 encoding, for a CRM that wants a PEM file encoded.
	"b64enc":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
}

// renderTemplate renders one template over v. Its error names the key and says what is wrong,
// with every credential of v that text/template might quote cut out.
func renderTemplate(t Template, v Values) (string, error) {
	tmpl, err := template.New(t.Key).Option("missingkey=error").Funcs(templateFuncs).Parse(t.Value)
	if err != nil {
		return "", &Error{Key: t.Key, Reason: redact(err.Error(), v)}
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, v); err != nil {
		return "", &Error{Key: t.Key, Reason: redact(err.Error(), v)}
	}
	return out.String(), nil
}

// redact removes the credentials of v from a message. text/template's errors name fields and
// positions, not values, but a message that reaches status and events must not depend on that.
func redact(message string, v Values) string {
	for _, secret := range []string{v.ClientSecret, v.PrivateKeyPEM, v.CombinedPEM} {
		if secret != "" {
			message = strings.ReplaceAll(message, secret, "[redacted]")
		}
	}
	return message
}
