package graph

import "context"

// Delta is Microsoft Graph's change tracking (delta query) over the tenant's applications and
// service principals: one request per page for the whole tenant instead of one read per object.
//
// A round starts with link "" and follows NextLink page by page until a page carries DeltaLink;
// passing that DeltaLink later returns what changed since. Graph may repeat an object within or
// across rounds and does not order changes. An error of KindResyncRequired means Graph no longer
// has the sync state behind the link: start a new round with "".
type Delta interface {
	// ApplicationDelta returns one page of application changes, with the properties a read of one
	// application selects.
	ApplicationDelta(ctx context.Context, link string) (DeltaPage[ApplicationChange], error)
	// ServicePrincipalDelta returns one page of service principal changes (IDs and app IDs).
	ServicePrincipalDelta(ctx context.Context, link string) (DeltaPage[ServicePrincipalChange], error)
}

// DeltaPage is one page of a delta round: NextLink while the round goes on, DeltaLink on its last
// page.
type DeltaPage[T any] struct {
	Changes   []T
	NextLink  string
	DeltaLink string
}

// ApplicationChange is one application in a delta page: new (all selected properties), changed (its
// object ID and at least the changed properties) or removed.
type ApplicationChange struct {
	ObjectID string
	// Removed is set when Graph reports the application gone (@removed: deleted, or moved to
	// deleted items).
	Removed bool
	// Properties are the Graph names of the properties the entry carried; App holds their values,
	// and zero values for the rest.
	Properties []string
	App        Application
}

// ServicePrincipalChange is one service principal in a delta page.
type ServicePrincipalChange struct {
	ObjectID string
	// AppID is set when the entry carried it (new service principals; it never changes).
	AppID   string
	Removed bool
}
