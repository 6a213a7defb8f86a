package graphapi

import (
	"net/http"

	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/directory"
	"github.com/entra-sso-operator/entra-sso-operator/internal/emulator/odata"
)

// reply is a handler's answer, taken while the directory is locked (objects already turned into
// JSON maps) and written after it is released.
type reply struct {
	status int
	// context is the @odata.context after "$metadata#": an entity set ("applications") or a type
	// ("microsoft.graph.passwordCredential").
	context string
	// entity marks a single entity of the context's set: its context ends in "/$entity", $select
	// applies, and a 201 carries its Location.
	entity bool
	body   map[string]any
	// items is a collection, filtered and paged by the request's query when written.
	items []odata.Item
	list  bool
	// verbatim bodies carry their own annotations (delta pages) and are written as they are.
	verbatim bool
}

// entity answers with one entity of the set at contextPath.
func entity(status int, contextPath string, v any) (reply, *odata.Error) {
	return reply{status: status, context: contextPath, entity: true, body: odata.ToMap(v)}, nil
}

// actionResult answers an action with a value of an OData type.
func actionResult(odataType string, v any) (reply, *odata.Error) {
	return reply{status: http.StatusOK, context: odataType, body: odata.ToMap(v)}, nil
}

// collection answers with the items of the set at contextPath.
func collection(contextPath string, items []odata.Item) (reply, *odata.Error) {
	return reply{status: http.StatusOK, context: contextPath, items: items, list: true}, nil
}

// noContent is the 204 of a change.
func noContent() (reply, *odata.Error) { return reply{status: http.StatusNoContent}, nil }

// readFound answers an entity GET with what the path names, as an entity of the set set(c).
func readFound(set func(c *call) string) handler {
	return func(c *call) (reply, *odata.Error) { return entity(http.StatusOK, set(c), c.found) }
}

// inSet names a fixed entity set.
func inSet(name string) func(*call) string { return func(*call) string { return name } }

// listVisible answers a collection GET with every object of a kind that reads may see.
func listVisible[T interface{ Stamp() directory.Stamp }](set string, all func(*directory.Tx) []T) handler {
	return func(c *call) (reply, *odata.Error) { return collection(set, visibleItems(c, all(c.tx), nil)) }
}

// visibleItems turns the objects reads may see (replication lag hides the young ones) into
// collection items, keeping those keep accepts.
func visibleItems[T interface{ Stamp() directory.Stamp }](c *call, objs []T, keep func(T) bool) []odata.Item {
	items := make([]odata.Item, 0, len(objs))
	for _, o := range objs {
		if s := o.Stamp(); c.tx.Visible(s) && (keep == nil || keep(o)) {
			items = append(items, odata.Item{Seq: s.Seq, Object: odata.ToMap(o)})
		}
	}
	return items
}

// write puts a reply on the wire with its OData annotations.
func (api *API) write(w http.ResponseWriter, c *call, rep reply) {
	root := api.serviceRoot()
	switch {
	case rep.status == http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
	case rep.verbatim:
		odata.Write(w, rep.status, rep.body)
	case rep.list:
		page, skipToken := c.query.Page(rep.items)
		out := map[string]any{"@odata.context": odata.ContextURL(root, rep.context, c.query.Selected), "value": page}
		if skipToken != "" {
			q := c.r.URL.Query()
			q.Set("$skiptoken", skipToken)
			out["@odata.nextLink"] = api.serverURL + c.r.URL.Path + "?" + odata.EncodeQuery(q)
		}
		odata.Write(w, rep.status, out)
	case rep.entity:
		obj := odata.Project(rep.body, c.selected)
		obj["@odata.context"] = odata.ContextURL(root, rep.context, c.selected) + "/$entity"
		if id, ok := obj["id"].(string); ok && rep.status == http.StatusCreated {
			w.Header().Set("Location", root+"/"+rep.context+"/"+id)
		}
		odata.Write(w, rep.status, obj)
	default:
		rep.body["@odata.context"] = odata.ContextURL(root, rep.context, nil)
		odata.Write(w, rep.status, rep.body)
	}
}
