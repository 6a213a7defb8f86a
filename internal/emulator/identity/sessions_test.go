package identity

import "testing"

// TestIssuedTokensBelongToTheirTenant: a code is found only in the tenant that issued it, lookups
// return copies, and update changes what later lookups see.
func TestIssuedTokensBelongToTheirTenant(t *testing.T) {
	var codes issued[authCode]
	code := codes.issue(authCode{session: session{tenantID: "t1", clientID: "crm"}, redirectURI: "https://crm.example.com/cb"})
	other := codes.issue(authCode{session: session{tenantID: "t1", clientID: "other"}})
	if code == other || len(code) < 64 {
		t.Fatalf("codes %q and %q are not distinct opaque values", code, other)
	}
	if _, ok := codes.get("t2", code); ok {
		t.Error("a code issued in t1 was found in t2")
	}
	if _, ok := codes.get("t1", "never-issued"); ok {
		t.Error("an unknown code was found")
	}
	got, ok := codes.get("t1", code)
	if !ok || got.clientID != "crm" || got.redeemed {
		t.Fatalf("lookup: %+v %v", got, ok)
	}
	got.redeemed = true
	if again, _ := codes.get("t1", code); again.redeemed {
		t.Error("changing a looked-up copy changed the stored code")
	}
	codes.update(code, func(c *authCode) { c.redeemed = true })
	if again, _ := codes.get("t1", code); !again.redeemed {
		t.Error("update did not mark the code redeemed")
	}
	if o, _ := codes.get("t1", other); o.redeemed {
		t.Error("update changed another code")
	}
}
