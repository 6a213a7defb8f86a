package graph

// The Microsoft Graph application permissions the operator asks for, least first. Each operation of
// the msgraph adapter declares the one it needs, so a 403 names the right one.
const (
	// PermissionApplicationOwnedBy lets the operator create applications and manage those it owns
	// (created by it), with their service principals and credentials. Everything the operator does
	// today needs only this.
	PermissionApplicationOwnedBy = "Application.ReadWrite.OwnedBy"
)
