package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/permissions"
)

func TestUnknownPermissionsAreNamedUpToALimit(t *testing.T) {
	e := &unknownPermissionError{tenantID: "t", absent: []string{"6a4b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0"}}
	for i := range 12 {
		e.missing = append(e.missing, permissions.Missing{Resource: "MicrosoftGraph", Kind: permissions.Application, Name: fmt.Sprintf("Role.%d", i)})
	}
	msg := e.Error()
	if !strings.Contains(msg, `MicrosoftGraph has no application permission "Role.0"`) || !strings.Contains(msg, `"Role.9"`) ||
		strings.Contains(msg, `"Role.10"`) || !strings.Contains(msg, "and 3 more") || !strings.HasSuffix(msg, "nothing was written: correct spec.permissions") {
		t.Errorf("message = %q, want the first %d named, the rest counted", msg, maxListed)
	}
	o := (&AppRegistrationReconciler{ResyncPeriod: time.Hour}).classify(e)
	if o.reason != v1.ReasonUnknownPermission || o.backoff || o.requeueAfter == 0 || !o.warn {
		t.Errorf("outcome = %+v, want UnknownPermission, retried at the resync with a Warning", o)
	}
	refused := &consentNotAllowedError{refused: []permissions.Ref{{AppID: v1.MicrosoftGraphAppID, Kind: permissions.Application, Name: "Application.ReadWrite.All"}}}
	if o := (&AppRegistrationReconciler{ResyncPeriod: time.Hour}).classify(refused); o.reason != v1.ReasonConsentNotAllowed || o.backoff {
		t.Errorf("outcome = %+v, want ConsentNotAllowed without backoff", o)
	}
}

func TestParseConsentMode(t *testing.T) {
	for in, want := range map[string]ConsentMode{"off": ConsentOff, "Verify": ConsentVerify, "GRANT": ConsentGrant} {
		if got, err := ParseConsentMode(in); err != nil || got != want {
			t.Errorf("ParseConsentMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseConsentMode("auto"); err == nil {
		t.Error("an unknown mode was accepted")
	}
}
