package controllers

import (
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
	"github.com/entra-sso-operator/entra-sso-operator/internal/cloud"
	"github.com/entra-sso-operator/entra-sso-operator/internal/secretdata"
)

const testTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// outputSecret is a Secret as the operator writes it for object i: Generic format, a client
// secret, a template, the operator's labels and annotations.
func outputSecret(t testing.TB, i int) *corev1.Secret {
	in := secretdata.Input{TenantID: testTenantID, ClientID: fmt.Sprintf("0b5f3a5e-1111-2222-3333-%012d", i), Cloud: cloud.Public,
		ClientSecret: &secretdata.ClientSecret{KeyID: fmt.Sprintf("6c1e4a4e-0000-4000-8000-%012d", i), Value: "abc8Q~0123456789abcdefghijklmnopqrstuvw"},
		Templates:    []secretdata.Template{{Key: "DSN", Value: "oidc://{{ .ClientID }}@{{ .TenantID }}"}}}
	data, err := secretdata.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	annotations := secretdata.Annotations(in)
	annotations[secretdata.AnnotationContentHash] = secretdata.ContentHash(data)
	name := fmt.Sprintf("crm-%d", i)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "crm", UID: types.UID(fmt.Sprintf("secret-%d", i)), ResourceVersion: "1",
			Labels:          map[string]string{"app.kubernetes.io/managed-by": "entra-sso-operator", SecretLabel: name},
			Annotations:     annotations,
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "manager", Operation: metav1.ManagedFieldsOperationUpdate}},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: entrav1alpha1.GroupVersion.String(), Kind: "AppRegistration", Name: name, UID: types.UID(fmt.Sprintf("uid-%d", i)), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
}

func TestTheCacheHoldsAnOutputSecretWithoutWhatIsRenderedAgain(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*corev1.Secret)
		trimmed bool
		// hash is the content hash annotation the cached copy must carry ("" for none).
		hash func(stored *corev1.Secret) string
	}{
		{"as the operator wrote it", func(*corev1.Secret) {}, true,
			func(s *corev1.Secret) string { return s.Annotations[secretdata.AnnotationContentHash] }},
		{"data edited by hand, hash annotation left", func(s *corev1.Secret) { s.Data[secretdata.KeyClientID] = []byte("tampered") }, true,
			func(s *corev1.Secret) string { return secretdata.ContentHash(s.Data) }},
		{"written before the hash annotation existed", func(s *corev1.Secret) { delete(s.Annotations, secretdata.AnnotationContentHash) }, true,
			func(*corev1.Secret) string { return "" }},
		{"a certificate source", func(s *corev1.Secret) { s.Type = corev1.SecretTypeTLS }, false,
			func(s *corev1.Secret) string { return s.Annotations[secretdata.AnnotationContentHash] }},
		{"controlled by something else", func(s *corev1.Secret) { s.OwnerReferences[0].Kind = "Deployment" }, false,
			func(s *corev1.Secret) string { return s.Annotations[secretdata.AnnotationContentHash] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stored := outputSecret(t, 1)
			c.edit(stored)
			cached := stored.DeepCopy()
			if _, err := transformSecret(cached); err != nil {
				t.Fatal(err)
			}
			if cached.ManagedFields != nil {
				t.Error("managedFields kept")
			}
			if got, want := cached.Annotations[secretdata.AnnotationContentHash], c.hash(stored); got != want {
				t.Errorf("content hash annotation %q, want %q", got, want)
			}
			if !c.trimmed {
				if !maps.EqualFunc(cached.Data, stored.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
					t.Errorf("data changed: %v", cached.Data)
				}
				return
			}
			want := map[string]string{secretdata.KeyClientSecret: string(stored.Data[secretdata.KeyClientSecret]), "DSN": string(stored.Data["DSN"])}
			got := map[string]string{}
			for k, v := range cached.Data {
				got[k] = string(v)
			}
			if !maps.Equal(got, want) {
				t.Errorf("cached data %v, want only the credential and the template's key %v", got, want)
			}
			if publishedClientSecret(cached) == nil {
				t.Error("the client secret cannot be read back from the cached copy")
			}
		})
	}
}

func TestTheCacheHoldsAppRegistrationsWithoutKubectlsCopy(t *testing.T) {
	objs := make([]*entrav1alpha1.AppRegistration, 2)
	for i := range objs {
		obj := benchAppRegistration(i)
		obj.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: `{"spec":{}}`, "team": "crm"}
		obj.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
		// Decoded apart, as the informer does: equal strings in distinct memory.
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		objs[i] = &entrav1alpha1.AppRegistration{}
		if err := json.Unmarshal(raw, objs[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := transformAppRegistration(objs[i]); err != nil {
			t.Fatal(err)
		}
	}
	a, b := objs[0], objs[1]
	if !maps.Equal(a.Annotations, map[string]string{"team": "crm"}) || a.ManagedFields != nil {
		t.Errorf("annotations %v, managedFields %v: want only the team annotation and none", a.Annotations, a.ManagedFields)
	}
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if !same(a.Status.Conditions[0].Reason, b.Status.Conditions[0].Reason) || !same(a.Namespace, b.Namespace) ||
		!same(a.Finalizers[0], b.Finalizers[0]) || !same(a.Status.TenantID, b.Status.TenantID) {
		t.Error("the strings every object repeats are not shared")
	}
	if a.Status.Conditions[2].Message == b.Status.Conditions[2].Message {
		t.Error("the messages naming each object's application are expected to differ")
	}
}

// benchAppRegistration is an AppRegistration as make bench applies it, once Ready.
func benchAppRegistration(i int) *entrav1alpha1.AppRegistration {
	appID := fmt.Sprintf("0b5f3a5e-1111-2222-3333-%012d", i)
	obj := &entrav1alpha1.AppRegistration{
		TypeMeta: metav1.TypeMeta{APIVersion: entrav1alpha1.GroupVersion.String(), Kind: "AppRegistration"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i), Namespace: "bench", UID: types.UID(fmt.Sprintf("6b1e4a4e-0000-4000-8000-%012d", i)),
			ResourceVersion: fmt.Sprint(1000 + i), Generation: 1, Finalizers: []string{Finalizer}},
		Spec: entrav1alpha1.AppRegistrationSpec{DisplayName: fmt.Sprintf("bench %d", i), DeletionPolicy: entrav1alpha1.DeletionPolicyDelete,
			Web: &entrav1alpha1.WebApplication{RedirectURIs: []entrav1alpha1.RedirectURI{entrav1alpha1.RedirectURI(fmt.Sprintf("https://crm-%d.example.com/oauth-callback.php", i))}}},
		Status: entrav1alpha1.AppRegistrationStatus{ObservedGeneration: 1, TenantID: testTenantID, AppID: appID,
			ObjectID: fmt.Sprintf("938aed5f-f3a4-431f-b234-%012d", i), ServicePrincipalID: fmt.Sprintf("2b9ce3b8-0814-4046-acb6-%012d", i),
			SecretName: fmt.Sprintf("bench-%d", i), LastVerifiedTime: &metav1.Time{}},
	}
	for _, c := range []struct{ typ, message string }{
		{entrav1alpha1.ConditionConnectionReady, "Uses the operator's own connection, tenant " + testTenantID},
		{entrav1alpha1.ConditionPermissionsResolved, "No API permissions are declared"},
		{entrav1alpha1.ConditionApplicationReady, "Application " + appID + " matches the spec"},
		{entrav1alpha1.ConditionServicePrincipalReady, "Service principal " + obj.Status.ServicePrincipalID + " exists"},
		{entrav1alpha1.ConditionCredentialsReady, "No credentials declared"},
		{entrav1alpha1.ConditionSecretReady, "Secret " + obj.Status.SecretName + " holds the client configuration"},
		{entrav1alpha1.ConditionConsentGranted, "No API permissions are declared"},
		{entrav1alpha1.ConditionReady, "Application " + appID + " and Secret " + obj.Status.SecretName + " match the spec"},
	} {
		obj.Status.Conditions = append(obj.Status.Conditions, metav1.Condition{Type: c.typ, Status: metav1.ConditionTrue,
			ObservedGeneration: 1, Reason: entrav1alpha1.ReasonSynced, Message: c.message})
	}
	return obj
}

// BenchmarkCachedObjectBytes prints the heap one cached AppRegistration and one Secret take, as
// the informers decode them (JSON for the custom resource, protobuf for the Secret), with and
// without the transforms the manager's cache applies:
//
//	go test ./controllers/ -run '^$' -bench CachedObjectBytes -benchtime 1x
func BenchmarkCachedObjectBytes(b *testing.B) {
	const n = 5000
	apps, secrets := make([][]byte, n), make([][]byte, n)
	for i := range n {
		raw, err := json.Marshal(benchAppRegistration(i))
		if err != nil {
			b.Fatal(err)
		}
		apps[i] = raw
		if secrets[i], err = outputSecret(b, i).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
	decode := map[string]func(i int) (any, error){
		"AppRegistration": func(i int) (any, error) {
			obj := &entrav1alpha1.AppRegistration{}
			return obj, json.Unmarshal(apps[i], obj)
		},
		"Secret": func(i int) (any, error) {
			secret := &corev1.Secret{}
			return secret, secret.Unmarshal(secrets[i])
		},
	}
	transforms := map[string]func(any) (any, error){"AppRegistration": transformAppRegistration, "Secret": transformSecret}
	for _, kind := range []string{"AppRegistration", "Secret"} {
		for _, transformed := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/transformed=%v", kind, transformed), func(b *testing.B) {
				for range b.N {
					held := make([]any, 0, n)
					before := heapInUse()
					for i := range n {
						obj, err := decode[kind](i)
						if err != nil {
							b.Fatal(err)
						}
						if transformed {
							if obj, err = transforms[kind](obj); err != nil {
								b.Fatal(err)
							}
						}
						held = append(held, obj)
					}
					after := heapInUse()
					runtime.KeepAlive(held)
					b.ReportMetric(float64(after-before)/n, "bytes/object")
				}
			})
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// notes records the notes of the events it is given.
type notes []string

func (n *notes) Eventf(_, _ k8sruntime.Object, _, _, _, note string, args ...any) {
	*n = append(*n, fmt.Sprintf(note, args...))
}

func TestALongEventNoteIsCutWithoutSplittingACharacter(t *testing.T) {
	var got notes
	r := &AppRegistrationReconciler{Recorder: &got}
	long := strings.Repeat("é", maxEventNote) // two bytes each: the cut falls inside one
	r.event(benchAppRegistration(1), corev1.EventTypeWarning, "Failed", "Reconcile", "%s", long)
	if len(got) != 1 || len(got[0]) > maxEventNote || !utf8.ValidString(got[0]) || !strings.HasSuffix(got[0], "...") {
		t.Errorf("note of %d bytes, valid UTF-8 %v: %.20q...", len(got[0]), utf8.ValidString(got[0]), got[0])
	}
}

func TestOwnSecretWritesAreRememberedOnlyUntilTheirEventArrives(t *testing.T) {
	var o ownWrites
	written := outputSecret(t, 1)
	written.ResourceVersion = "10"
	stale := written.DeepCopy()
	stale.ResourceVersion = "9"

	o.note(written)
	if o.isCurrent(stale) {
		t.Error("a cached copy older than the operator's write counts as current")
	}
	if o.arrived(stale) {
		t.Error("an event of an older version counts as the operator's own")
	}
	if !o.arrived(written) {
		t.Error("the event of the operator's write is not recognized")
	}
	if o.arrived(written) {
		t.Error("the same write is recognized twice")
	}
	// Its event came, the cache has it: nothing is kept for it.
	n := 0
	o.versions.Range(func(any, any) bool { n++; return true })
	if n != 0 || !o.isCurrent(stale) {
		t.Errorf("%d entries kept after the write's event", n)
	}
}
