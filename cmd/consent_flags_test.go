package main

import (
	"strings"
	"testing"

	"github.com/entra-sso-operator/entra-sso-operator/controllers"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

func TestConsentFlags(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		wantMode  controllers.ConsentMode
		wantRules int
		wantErr   string
	}{
		{"off by default", nil, controllers.ConsentOff, 0, ""},
		{"verify", []string{"--consent-mode=verify"}, controllers.ConsentVerify, 0, ""},
		{"grant with rules in two flags", []string{"--consent-mode=Grant",
			"--consent-allow=MicrosoftGraph:application:User.Read.All,MicrosoftGraph:application:Calendars.Read",
			"--consent-allow", "MicrosoftGraph:delegated:*"}, controllers.ConsentGrant, 3, ""},
		{"an unknown mode", []string{"--consent-mode=auto"}, "", 0, `--consent-mode: unknown consent mode "auto"`},
		{"grant without an allow-list", []string{"--consent-mode=grant"}, "", 0, "needs --consent-allow"},
		{"an allow-list without grant mode", []string{"--consent-allow=MicrosoftGraph:delegated:User.Read"}, "", 0,
			"--consent-allow has no effect with --consent-mode=off"},
		{"a malformed rule", []string{"--consent-mode=grant", "--consent-allow=MicrosoftGraph:User.Read.All"}, "", 0,
			"want RESOURCE:KIND:PERMISSION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseFlags(newFlagSet(), c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("parseFlags(%q) error = %v, want %q", c.args, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.consentMode != c.wantMode || len(cfg.consentPolicy.Rules) != c.wantRules {
				t.Errorf("mode %q with %d rules, want %q with %d", cfg.consentMode, len(cfg.consentPolicy.Rules), c.wantMode, c.wantRules)
			}
		})
	}
	cfg, err := parseFlags(newFlagSet(), []string{"--consent-mode=grant", "--consent-allow=MicrosoftGraph:delegated:*"})
	if err != nil {
		t.Fatal(err)
	}
	ref := permissions.Ref{AppID: "00000003-0000-0000-c000-000000000000", Kind: permissions.Application, Name: "Directory.ReadWrite.All"}
	if cfg.consentPolicy.Allows(ref) {
		t.Error("a delegated wildcard allowed an application permission")
	}
}
