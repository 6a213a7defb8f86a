package mirror

import (
	"reflect"
	"slices"
	"time"

	"github.com/entra-sso-operator/entra-sso-operator/internal/graph"
)

// mergers copy one Graph property of an application from a delta entry (or a write) onto the
// mirrored application. A property without a merger (one added to the application read later)
// cannot be merged: the entry goes stale and the next reconcile reads Graph, which is always right.
var mergers = map[string]func(dst *graph.Application, src graph.Application){
	"id":                              func(d *graph.Application, s graph.Application) { d.ObjectID = s.ObjectID },
	"appId":                           func(d *graph.Application, s graph.Application) { d.AppID = s.AppID },
	"uniqueName":                      func(d *graph.Application, s graph.Application) { d.UniqueName = s.UniqueName },
	string(graph.FieldDisplayName):    func(d *graph.Application, s graph.Application) { d.DisplayName = s.DisplayName },
	string(graph.FieldSignInAudience): func(d *graph.Application, s graph.Application) { d.SignInAudience = s.SignInAudience },
	string(graph.FieldWeb):            func(d *graph.Application, s graph.Application) { d.Web = s.Web },
	string(graph.FieldSPA):            func(d *graph.Application, s graph.Application) { d.SPARedirectURIs = s.SPARedirectURIs },
	string(graph.FieldPublicClient): func(d *graph.Application, s graph.Application) {
		d.PublicClientRedirectURIs = s.PublicClientRedirectURIs
	},
	string(graph.FieldOptionalClaims): func(d *graph.Application, s graph.Application) { d.OptionalClaims = s.OptionalClaims },
	string(graph.FieldGroupMembershipClaims): func(d *graph.Application, s graph.Application) {
		d.GroupMembershipClaims = s.GroupMembershipClaims
	},
	string(graph.FieldIsFallbackPublicClient): func(d *graph.Application, s graph.Application) {
		d.IsFallbackPublicClient = s.IsFallbackPublicClient
	},
	string(graph.FieldAPI): func(d *graph.Application, s graph.Application) { d.AccessTokenVersion = s.AccessTokenVersion },
	string(graph.FieldRequiredResourceAccess): func(d *graph.Application, s graph.Application) {
		d.RequiredResourceAccess = s.RequiredResourceAccess
	},
	// Delta query does not promise to report credential changes, and never carries certificates'
	// key material: objects declaring a certificate, or with credential work due, read Graph
	// itself (controllers.credentialWorkDue); for the rest these are a record kept current by the
	// operator's own writes (which make the entry stale) and checked by the backstop.
	"passwordCredentials": func(d *graph.Application, s graph.Application) { d.PasswordCredentials = s.PasswordCredentials },
	"keyCredentials":      func(d *graph.Application, s graph.Application) { d.KeyCredentials = s.KeyCredentials },
}

// complete reports whether a delta entry carries an application whole: Graph sends new objects
// with every selected property, changed ones with only what changed.
func complete(props []string) bool {
	for _, p := range []string{"id", "appId", "uniqueName"} {
		if !slices.Contains(props, p) {
			return false
		}
	}
	for _, f := range graph.ManagedFields {
		if !slices.Contains(props, string(f)) {
			return false
		}
	}
	return true
}

// mergeProperties applies a changed entry's properties and says whether all of them could be.
func mergeProperties(dst *graph.Application, src graph.Application, props []string) bool {
	ok := true
	for _, p := range props {
		if merge := mergers[p]; merge != nil {
			merge(dst, src)
		} else {
			ok = false
		}
	}
	return ok
}

// ApplyApplications applies one page of an incremental delta round, fetched after taking mark,
// and returns the unique names of the managed applications that changed. Graph may repeat
// entries; applying one twice changes nothing the second time.
func (s *Store) ApplyApplications(changes []graph.ApplicationChange, mark uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var changed []string
	for _, ch := range changes {
		k, known := s.byObjectID[key(ch.ObjectID)]
		switch {
		case ch.Removed:
			if known {
				s.removeLocked(k)
				changed = append(changed, k)
			}
		case !known:
			// Only a new application arrives whole, with its unique name; a partial entry for one
			// the mirror does not hold is someone else's.
			if !slices.Contains(ch.Properties, "uniqueName") || !s.managed(ch.App.UniqueName) {
				continue
			}
			k = key(ch.App.UniqueName)
			e := &entry{app: ch.App, stale: !complete(ch.Properties) || s.writtenSince(k, mark)}
			if old := s.apps[k]; old != nil && !old.stale && !e.stale && sameApplication(old.app, e.app) {
				continue
			}
			s.setLocked(k, e)
			changed = append(changed, k)
		default:
			e := s.apps[k]
			if s.writtenSince(k, mark) {
				// The page may predate the operator's own write: do not trust it for this one.
				e.stale = true
				changed = append(changed, k)
				continue
			}
			before := e.app
			next := e.app
			if !mergeProperties(&next, ch.App, ch.Properties) {
				e.stale = true
			}
			e.app = next
			if e.stale || !sameApplication(before, next) {
				changed = append(changed, k)
			}
		}
	}
	return changed
}

// ReplaceApplications installs the result of a full round, started after taking mark, and returns
// the unique names of the managed applications that are new, changed or gone compared with
// before. Applications the operator wrote during the round keep their entry, stale: the round may
// have seen them before the write.
func (s *Store) ReplaceApplications(all []graph.ApplicationChange, mark uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var changed []string
	for _, ch := range all {
		if ch.Removed || !slices.Contains(ch.Properties, "uniqueName") || !s.managed(ch.App.UniqueName) {
			continue
		}
		k := key(ch.App.UniqueName)
		seen[k] = true
		old := s.apps[k]
		if s.writtenSince(k, mark) {
			if old != nil {
				old.stale = true
				changed = append(changed, k)
			}
			continue
		}
		e := &entry{app: ch.App, stale: !complete(ch.Properties)}
		if old == nil || old.stale || e.stale || !sameApplication(old.app, e.app) {
			changed = append(changed, k)
		}
		s.setLocked(k, e)
	}
	for k := range s.apps {
		if !seen[k] && !s.writtenSince(k, mark) {
			s.removeLocked(k)
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	return slices.Compact(changed)
}

// ApplyServicePrincipals applies one page of service principal changes and returns the unique
// names of the managed applications whose service principal went away. A new service principal
// needs no reconcile: it is what the operator created, or nothing it manages.
func (s *Store) ApplyServicePrincipals(changes []graph.ServicePrincipalChange, mark uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var changed []string
	for _, ch := range changes {
		if ch.Removed {
			appID, ok := s.spByID[key(ch.ObjectID)]
			if !ok {
				continue
			}
			delete(s.spByID, key(ch.ObjectID))
			delete(s.sps, key(appID))
			if k, ok := s.byAppID[key(appID)]; ok && !s.writtenSince(k, mark) {
				changed = append(changed, k)
			}
			continue
		}
		if _, managed := s.byAppID[key(ch.AppID)]; managed && ch.AppID != "" {
			s.sps[key(ch.AppID)] = ch.ObjectID
			s.spByID[key(ch.ObjectID)] = ch.AppID
		}
	}
	return changed
}

// ReplaceServicePrincipals installs a full round of service principals, keeping those of managed
// applications, and returns the unique names of managed applications whose service principal is
// gone.
func (s *Store) ReplaceServicePrincipals(all []graph.ServicePrincipalChange, mark uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sps, spByID := map[string]string{}, map[string]string{}
	for _, ch := range all {
		if _, managed := s.byAppID[key(ch.AppID)]; managed && !ch.Removed && ch.AppID != "" {
			sps[key(ch.AppID)] = ch.ObjectID
			spByID[key(ch.ObjectID)] = ch.AppID
		}
	}
	var changed []string
	for appID, id := range s.sps {
		k := s.byAppID[appID]
		if _, still := sps[appID]; still || k == "" {
			continue
		}
		if s.writtenSince(k, mark) {
			// Created by the operator during the round: keep it.
			sps[appID], spByID[key(id)] = id, appID
			continue
		}
		changed = append(changed, k)
	}
	s.sps, s.spByID = sps, spByID
	slices.Sort(changed)
	return changed
}

// sameApplication compares two applications as Graph would: an empty list or map equals a missing
// one. Fields added to graph.Application later are compared too.
func sameApplication(a, b graph.Application) bool {
	return equalIgnoringEmpty(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalIgnoringEmpty(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Slice, reflect.Map:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
		if a.Len() != b.Len() {
			return false
		}
		if a.Kind() == reflect.Map {
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := range a.Len() {
			if !equalIgnoringEmpty(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if t, ok := a.Interface().(time.Time); ok { // unexported fields: compare as the type does
			return t.Equal(b.Interface().(time.Time))
		}
		for i := range a.NumField() {
			if !equalIgnoringEmpty(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalIgnoringEmpty(a.Elem(), b.Elem())
	default:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
}
