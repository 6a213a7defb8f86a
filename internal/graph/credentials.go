package graph

import (
	"context"
	"time"
)

// PasswordCredential is a client secret as Graph lists it: never its value.
type PasswordCredential struct {
	KeyID       string
	DisplayName string
	// Hint is the first three characters of the secret, as Graph reports them.
	Hint       string
	Start, End time.Time
}

// KeyCredential is a certificate credential of an application.
type KeyCredential struct {
	KeyID       string
	DisplayName string
	// Type is AsymmetricX509Cert for certificates; Usage is Verify for client authentication.
	Type, Usage string
	Start, End  time.Time
	// Key is the certificate (DER). Graph returns it only to a read of one application that
	// selects keyCredentials, which is what GetApplication does; elsewhere it is nil.
	Key []byte
}

// The values of KeyCredential.Type and Usage for a certificate that authenticates the application.
const (
	KeyTypeX509Certificate = "AsymmetricX509Cert"
	KeyUsageVerify         = "Verify"
)

// SecretText is the value of a new client secret, which Graph returns once. It prints as
// "[redacted]" with every fmt verb, so a log line or an event that formats it by mistake shows
// nothing; Reveal is the one way to the value, for the Secret.
type SecretText struct{ value string }

// NewSecretText wraps a secret's value.
func NewSecretText(v string) SecretText { return SecretText{value: v} }

// Reveal returns the secret's value.
func (s SecretText) Reveal() string { return s.value }

// String hides the value.
func (SecretText) String() string { return "[redacted]" }

// GoString hides the value from %#v too.
func (SecretText) GoString() string { return "[redacted]" }

// Credentials is the application credentials concept: client secrets and certificates. Every call
// addresses the application by the object ID Graph reported in this reconcile and is serialized
// with the application's other writes by its unique name.
type Credentials interface {
	// AddPassword adds a client secret that ends at end and returns it with its value, which Graph
	// returns this once.
	AddPassword(ctx context.Context, app Application, displayName string, end time.Time) (PasswordCredential, SecretText, error)
	// RemovePassword removes the client secret with keyID.
	RemovePassword(ctx context.Context, app Application, keyID string) error
	// AddKey adds a certificate, proving possession of a current certificate of the application
	// with proof (a JWT signed by its key; see the certificate package).
	AddKey(ctx context.Context, app Application, key KeyCredential, proof string) (KeyCredential, error)
	// RemoveKey removes the certificate with keyID, with proof as for AddKey.
	RemoveKey(ctx context.Context, app Application, keyID, proof string) error
	// ReplaceKeyCredentials writes the application's whole keyCredentials collection: what an
	// application without a valid certificate, which cannot sign a proof, needs. Every key kept
	// must carry its certificate (Key).
	ReplaceKeyCredentials(ctx context.Context, app Application, keys []KeyCredential) error
}

// FederatedCredential is a federated identity credential: Entra trusts tokens of Issuer for
// Subject, presented with one of Audiences, as the application's credential.
type FederatedCredential struct {
	// ID is Graph's ID; Name is the immutable key within the application.
	ID, Name        string
	Issuer, Subject string
	Audiences       []string
	Description     string
}

// FederatedCredentials is the federated identity credentials concept.
type FederatedCredentials interface {
	// ListFederatedCredentials lists the application's federated identity credentials.
	ListFederatedCredentials(ctx context.Context, app Application) ([]FederatedCredential, error)
	// CreateFederatedCredential creates one.
	CreateFederatedCredential(ctx context.Context, app Application, fc FederatedCredential) (FederatedCredential, error)
	// UpdateFederatedCredential writes issuer, subject, audiences and description of the one with fc.ID.
	UpdateFederatedCredential(ctx context.Context, app Application, fc FederatedCredential) error
	// DeleteFederatedCredential deletes the one with this ID.
	DeleteFederatedCredential(ctx context.Context, app Application, id string) error
}
