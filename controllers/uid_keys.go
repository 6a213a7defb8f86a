package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	entrav1alpha1 "github.com/entra-sso-operator/entra-sso-operator/api/v1alpha1"
)

// uidKeys maps the UIDs of the cached AppRegistrations to their keys: the delta poll names
// applications by unique name, which carries the UID of the object that manages them. It is fed
// by the AppRegistration informer's events and shares the strings of the cached objects. A cache
// index did the same at about 600 bytes an object (a set per UID, twice over for the
// all-namespaces and per-namespace keys); this holds one map entry.
type uidKeys struct {
	mu   sync.RWMutex
	keys map[types.UID]types.NamespacedName
}

func (u *uidKeys) lookup(uid types.UID) (types.NamespacedName, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	key, ok := u.keys[uid]
	return key, ok
}

func (u *uidKeys) set(obj *entrav1alpha1.AppRegistration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.keys == nil {
		u.keys = map[types.UID]types.NamespacedName{}
	}
	u.keys[obj.UID] = types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
}

func (u *uidKeys) forget(uid types.UID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.keys, uid)
}

// handler keeps the map in step with the informer.
func (u *uidKeys) handler() toolscache.ResourceEventHandler {
	add := func(o any) {
		if obj, ok := o.(*entrav1alpha1.AppRegistration); ok {
			u.set(obj)
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    add,
		UpdateFunc: func(_, o any) { add(o) },
		DeleteFunc: func(o any) {
			if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = tomb.Obj
			}
			if obj, ok := o.(*entrav1alpha1.AppRegistration); ok {
				u.forget(obj.UID)
			}
		},
	}
}
