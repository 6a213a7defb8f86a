package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The directory records, per kind of object that Graph's delta query tracks, when each object was
// created, when each of its top-level properties last changed and when it was removed, in one
// sequence shared by all kinds. A delta token is a position in that sequence: "what changed after
// it" is then answered exactly, with the properties that changed, as Graph's delta query answers.

// ChangeKind is a kind of object whose changes the directory tracks for delta query.
type ChangeKind int

// The kinds delta query serves.
const (
	ChangeApplications ChangeKind = iota
	ChangeServicePrincipals
	changeKinds
)

// RemovedChanged is the @removed reason of an object deleted into deleted items (restorable), which
// is where Graph puts a deleted application or service principal. (Graph says "deleted" for one
// deleted for good, from deleted items, which the emulator does not keep.)
const RemovedChanged = "changed"

// Change is what happened to one object after a position in the change sequence.
type Change struct {
	ID string
	// Seq is the object's latest change, CreatedSeq its creation.
	Seq, CreatedSeq int64
	// Created is set when the object was created after the position: it is new to the reader.
	Created bool
	// Properties are the top-level properties that changed after the position, sorted.
	Properties []string
	// Removed is the @removed reason when the object is gone, "" otherwise.
	Removed string
}

// changeLog is the directory's record of changes, guarded by the directory's lock.
type changeLog struct {
	seq   int64
	kinds [changeKinds]trackedKind
}

// trackedKind is the record of one kind of object, by object ID (lower case).
type trackedKind struct {
	created map[string]int64
	props   map[string]map[string]int64
	last    map[string]int64
	removed map[string]removal
}

type removal struct {
	seq    int64
	reason string
}

func (l *changeLog) kind(k ChangeKind) *trackedKind {
	t := &l.kinds[k]
	if t.created == nil {
		t.created, t.props, t.last, t.removed = map[string]int64{}, map[string]map[string]int64{}, map[string]int64{}, map[string]removal{}
	}
	return t
}

func (l *changeLog) next() int64 {
	l.seq++
	return l.seq
}

func (l *changeLog) created(k ChangeKind, id string) {
	t, seq, id := l.kind(k), l.next(), strings.ToLower(id)
	t.created[id], t.last[id], t.props[id] = seq, seq, map[string]int64{}
}

func (l *changeLog) changed(k ChangeKind, id string, props []string) {
	if len(props) == 0 {
		return
	}
	t, seq, id := l.kind(k), l.next(), strings.ToLower(id)
	if t.props[id] == nil {
		t.props[id] = map[string]int64{}
	}
	for _, p := range props {
		t.props[id][p] = seq
	}
	t.last[id] = seq
}

func (l *changeLog) removed(k ChangeKind, id, reason string) {
	t, seq, id := l.kind(k), l.next(), strings.ToLower(id)
	delete(t.props, id)
	delete(t.last, id)
	t.removed[id] = removal{seq: seq, reason: reason}
}

// ChangeSeq is the position of the latest change: a delta token taken now.
func (tx *Tx) ChangeSeq() int64 { return tx.d.changes.seq }

// ChangesSince lists the objects of kind k that changed after position since, ordered by object ID
// (which never changes, so a reader can page through them with the last ID it saw).
func (tx *Tx) ChangesSince(k ChangeKind, since int64) []Change {
	t := tx.d.changes.kind(k)
	var out []Change
	for id, last := range t.last {
		if last <= since {
			continue
		}
		c := Change{ID: id, Seq: last, CreatedSeq: t.created[id], Created: t.created[id] > since}
		for p, seq := range t.props[id] {
			if seq > since {
				c.Properties = append(c.Properties, p)
			}
		}
		slices.Sort(c.Properties)
		out = append(out, c)
	}
	for id, r := range t.removed {
		if r.seq > since {
			out = append(out, Change{ID: id, Seq: r.seq, Removed: r.reason})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ChangeOf is the change record of a live object of kind k as if it were new to the reader: a full
// round of delta query reports every object in full.
func (tx *Tx) ChangeOf(k ChangeKind, id string) Change {
	t, id := tx.d.changes.kind(k), strings.ToLower(id)
	return Change{ID: id, Seq: t.last[id], CreatedSeq: t.created[id], Created: true}
}

// Snapshot is an object's top-level properties as JSON, to find which of them an edit changed.
type Snapshot map[string]json.RawMessage

// TakeSnapshot records the properties of an application or a service principal before an edit in
// place; nil for anything else.
func TakeSnapshot(obj any) Snapshot {
	switch obj.(type) {
	case *Application, *ServicePrincipal:
	default:
		return nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("directory: snapshot %T: %v", obj, err))
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		panic(fmt.Sprintf("directory: snapshot %T: %v", obj, err))
	}
	return s
}

// changedProperties lists the properties whose JSON differs between two snapshots, sorted.
func changedProperties(before, after Snapshot) []string {
	var out []string
	for k, v := range after {
		if !bytes.Equal(before[k], v) {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// RecordEdit records the properties a handler changed in place on a live application or service
// principal (its credentials, its service principal's settings), given a snapshot from before. An
// object that was replaced or removed meanwhile has had its change recorded already.
func (tx *Tx) RecordEdit(obj any, before Snapshot) {
	switch o := obj.(type) {
	case *Application:
		if tx.d.apps.get(o.ID) == o {
			tx.d.changes.changed(ChangeApplications, o.ID, changedProperties(before, TakeSnapshot(o)))
		}
	case *ServicePrincipal:
		if tx.d.sps.get(o.ID) == o {
			tx.d.changes.changed(ChangeServicePrincipals, o.ID, changedProperties(before, TakeSnapshot(o)))
		}
	}
}
