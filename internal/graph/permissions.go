package graph

// The Microsoft Graph application permissions the operator asks for, least first. Each operation of
// the msgraph adapter declares the one it needs, so a 403 names the right one.
const (
	// PermissionApplicationOwnedBy lets the operator create applications and manage those it owns
	// (created by it), with their service principals and credentials, and read every service
	// principal (the permissions a resource publishes). Everything but granting consent needs only
	// this.
	PermissionApplicationOwnedBy = "Application.ReadWrite.OwnedBy"

	// PermissionDirectoryReadAll lets the operator read delegated permission grants, so it can
	// verify consent an administrator gave by hand (--consent-mode=verify). Graph has no narrower
	// permission to read grants; app role assignments of an owned service principal need only
	// Application.ReadWrite.OwnedBy.
	PermissionDirectoryReadAll = "Directory.Read.All"
	// PermissionDelegatedGrantReadWriteAll lets the operator grant (and read and revoke) tenant-wide
	// delegated consent (--consent-mode=grant).
	PermissionDelegatedGrantReadWriteAll = "DelegatedPermissionGrant.ReadWrite.All"
	// PermissionAppRoleAssignmentReadWriteAll lets the operator grant application permissions
	// (--consent-mode=grant). It can grant any app role of any API, including ones that make the
	// holder a tenant administrator: treat it as such.
	PermissionAppRoleAssignmentReadWriteAll = "AppRoleAssignment.ReadWrite.All"
)
