package msgraph

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// Client secrets and certificates. The actions address the application by the object ID Graph
// reported in this reconcile (Graph's actions take no unique name), and serialize with the
// application's other writes under its unique name. addKey and removeKey need no more than
// Application.ReadWrite.OwnedBy: their proof, signed by a current certificate of the application,
// is what Graph checks besides the caller's right to write the application.
var (
	opAddPassword           = operation{"add a client secret", graph.PermissionApplicationOwnedBy}
	opRemovePassword        = operation{"remove a client secret", graph.PermissionApplicationOwnedBy}
	opAddKey                = operation{"add a certificate", graph.PermissionApplicationOwnedBy}
	opRemoveKey             = operation{"remove a certificate", graph.PermissionApplicationOwnedBy}
	opReplaceKeyCredentials = operation{"write the application's certificates", graph.PermissionApplicationOwnedBy}
)

// AddPassword implements graph.Credentials. The start is left to Graph, so the secret is valid from
// Graph's own clock onwards and never "not yet valid" for a client whose clock runs behind.
func (c *Client) AddPassword(ctx context.Context, app graph.Application, displayName string, end time.Time) (graph.PasswordCredential, graph.SecretText, error) {
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(&displayName)
	pc.SetEndDateTime(&end)
	body := applications.NewItemAddPasswordPostRequestBody()
	body.SetPasswordCredential(pc)
	var res models.PasswordCredentialable
	err := c.write(ctx, opAddPassword, appKey(app), func() error {
		var err error
		res, err = c.sdk.Applications().ByApplicationId(app.ObjectID).AddPassword().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.PasswordCredential{}, graph.SecretText{}, err
	}
	if res == nil || res.GetSecretText() == nil || res.GetKeyId() == nil {
		return graph.PasswordCredential{}, graph.SecretText{}, errEmptyResponse(opAddPassword)
	}
	return fromSDKPassword(res), graph.NewSecretText(*res.GetSecretText()), nil
}

// RemovePassword implements graph.Credentials.
func (c *Client) RemovePassword(ctx context.Context, app graph.Application, keyID string) error {
	id, err := parseKeyID(opRemovePassword, keyID)
	if err != nil {
		return err
	}
	body := applications.NewItemRemovePasswordPostRequestBody()
	body.SetKeyId(&id)
	return c.write(ctx, opRemovePassword, appKey(app), func() error {
		return c.sdk.Applications().ByApplicationId(app.ObjectID).RemovePassword().Post(ctx, body, nil)
	})
}

// AddKey implements graph.Credentials.
func (c *Client) AddKey(ctx context.Context, app graph.Application, key graph.KeyCredential, proof string) (graph.KeyCredential, error) {
	kc, err := toSDKKey(opAddKey, key)
	if err != nil {
		return graph.KeyCredential{}, err
	}
	body := applications.NewItemAddKeyPostRequestBody()
	body.SetKeyCredential(kc)
	body.SetProof(&proof)
	var res models.KeyCredentialable
	err = c.write(ctx, opAddKey, appKey(app), func() error {
		var err error
		res, err = c.sdk.Applications().ByApplicationId(app.ObjectID).AddKey().Post(ctx, body, nil)
		return err
	})
	if err != nil {
		return graph.KeyCredential{}, err
	}
	if res == nil || res.GetKeyId() == nil {
		return graph.KeyCredential{}, errEmptyResponse(opAddKey)
	}
	out := fromSDKKey(res)
	out.Key = key.Key // Graph does not return the certificate; the caller sent it
	return out, nil
}

// RemoveKey implements graph.Credentials.
func (c *Client) RemoveKey(ctx context.Context, app graph.Application, keyID, proof string) error {
	id, err := parseKeyID(opRemoveKey, keyID)
	if err != nil {
		return err
	}
	body := applications.NewItemRemoveKeyPostRequestBody()
	body.SetKeyId(&id)
	body.SetProof(&proof)
	return c.write(ctx, opRemoveKey, appKey(app), func() error {
		return c.sdk.Applications().ByApplicationId(app.ObjectID).RemoveKey().Post(ctx, body, nil)
	})
}

// ReplaceKeyCredentials implements graph.Credentials with a PATCH of keyCredentials addressed by
// the unique name, like every other write of the application's properties.
func (c *Client) ReplaceKeyCredentials(ctx context.Context, app graph.Application, keys []graph.KeyCredential) error {
	list := make([]models.KeyCredentialable, 0, len(keys))
	for _, k := range keys {
		kc, err := toSDKKey(opReplaceKeyCredentials, k)
		if err != nil {
			return err
		}
		list = append(list, kc)
	}
	body := models.NewApplication()
	body.SetKeyCredentials(list)
	uniqueName := app.UniqueName
	return c.write(ctx, opReplaceKeyCredentials, appKey(app), func() error {
		if uniqueName == "" { // an adopted application: its object ID, read in this reconcile
			_, err := c.sdk.Applications().ByApplicationId(app.ObjectID).Patch(ctx, body, nil)
			return err
		}
		_, err := c.sdk.ApplicationsWithUniqueName(&uniqueName).Patch(ctx, body, nil)
		return err
	})
}

// toSDKKey builds a keyCredential for a write: a certificate with its key ID, type, usage, display
// name and validity. Graph computes the thumbprint (customKeyIdentifier) itself.
func toSDKKey(op operation, k graph.KeyCredential) (models.KeyCredentialable, error) {
	if len(k.Key) == 0 {
		return nil, fmt.Errorf("%s: the key credential %s carries no certificate", op.name, k.KeyID)
	}
	kc := models.NewKeyCredential()
	if k.KeyID != "" {
		id, err := parseKeyID(op, k.KeyID)
		if err != nil {
			return nil, err
		}
		kc.SetKeyId(&id)
	}
	kc.SetKey(k.Key)
	kc.SetTypeEscaped(ptr(orDefault(k.Type, graph.KeyTypeX509Certificate)))
	kc.SetUsage(ptr(orDefault(k.Usage, graph.KeyUsageVerify)))
	if k.DisplayName != "" {
		kc.SetDisplayName(ptr(k.DisplayName))
	}
	if !k.Start.IsZero() {
		kc.SetStartDateTime(ptr(k.Start))
	}
	if !k.End.IsZero() {
		kc.SetEndDateTime(ptr(k.End))
	}
	return kc, nil
}

func fromSDKPassword(in models.PasswordCredentialable) graph.PasswordCredential {
	out := graph.PasswordCredential{DisplayName: deref(in.GetDisplayName()), Hint: deref(in.GetHint())}
	if id := in.GetKeyId(); id != nil {
		out.KeyID = id.String()
	}
	out.Start, out.End = deref(in.GetStartDateTime()), deref(in.GetEndDateTime())
	return out
}

func fromSDKKey(in models.KeyCredentialable) graph.KeyCredential {
	out := graph.KeyCredential{
		DisplayName: deref(in.GetDisplayName()), Type: deref(in.GetTypeEscaped()), Usage: deref(in.GetUsage()),
		Key: in.GetKey(),
	}
	if id := in.GetKeyId(); id != nil {
		out.KeyID = id.String()
	}
	out.Start, out.End = deref(in.GetStartDateTime()), deref(in.GetEndDateTime())
	return out
}

func fromSDKPasswords(in []models.PasswordCredentialable) []graph.PasswordCredential {
	out := make([]graph.PasswordCredential, 0, len(in))
	for _, p := range in {
		out = append(out, fromSDKPassword(p))
	}
	return out
}

func fromSDKKeys(in []models.KeyCredentialable) []graph.KeyCredential {
	out := make([]graph.KeyCredential, 0, len(in))
	for _, k := range in {
		out = append(out, fromSDKKey(k))
	}
	return out
}

// parseKeyID turns a key ID into the UUID the SDK sends; a malformed one is the operator's bug, not
// something to send Graph.
func parseKeyID(op operation, keyID string) (uuid.UUID, error) {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("%s: key ID %q is not a GUID: %w", op.name, keyID, err)
	}
	return id, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// appKey is the key writes to app are serialized on: its unique name, or for an adopted
// application without one, its app ID.
func appKey(app graph.Application) string {
	if app.UniqueName != "" {
		return app.UniqueName
	}
	return app.AppID
}
