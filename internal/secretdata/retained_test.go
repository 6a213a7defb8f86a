package secretdata

import (
	"maps"
	"slices"
	"testing"
)

// TestRetainedKeepsWhatCannotBeRenderedAgain: for every format, with and without credentials and
// templates, what Retained keeps plus a render of the same Input gives the Secret back, and it
// keeps nothing the render gives anyway but the credentials.
func TestRetainedKeepsWhatCannotBeRenderedAgain(t *testing.T) {
	for _, f := range Formats {
		for _, withCredentials := range []bool{true, false} {
			in := full(f)
			if !withCredentials {
				in.ClientSecret, in.Certificate = nil, nil
			}
			in.Templates = []Template{{Key: "DSN", Value: "oidc://{{ .ClientID }}@{{ .TenantID }}"}}
			format, err := RenderFormat(in)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			data, err := Render(in)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			data["added-by-someone"] = []byte("kept")

			kept := Retained(data, f)
			secret, cert, key := CredentialKeys(f)
			for k := range data {
				_, fromFormat := format[k]
				credential := k == secret || k == cert || k == key
				if _, ok := kept[k]; ok == (fromFormat && !credential) {
					t.Errorf("%s (credentials %v): key %s kept %v, want %v", f, withCredentials, k, ok, !ok)
				}
			}
			whole := maps.Clone(format)
			maps.Copy(whole, kept)
			if !slices.Equal(slices.Sorted(maps.Keys(whole)), slices.Sorted(maps.Keys(data))) {
				t.Errorf("%s: render + retained has keys %v, the Secret %v", f, slices.Sorted(maps.Keys(whole)), slices.Sorted(maps.Keys(data)))
			}
			if withCredentials && f != FormatThreeCX && string(kept[secret]) != testSecret {
				t.Errorf("%s: the client secret was not kept", f)
			}
		}
	}
}

func TestRetainedOfAnUnknownFormatKeepsEverything(t *testing.T) {
	data := map[string][]byte{KeyClientID: []byte(testClient)}
	if got := Retained(data, "Unknown"); !maps.EqualFunc(got, data, slices.Equal) {
		t.Errorf("Retained = %v", got)
	}
}
