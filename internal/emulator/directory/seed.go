package directory

// Well-known application IDs of Microsoft first-party resources.
const (
	// MicrosoftGraphAppID is the appId of the Microsoft Graph resource.
	MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"
	// ExchangeOnlineAppID is the appId of Office 365 Exchange Online.
	ExchangeOnlineAppID = "00000002-0000-0ff1-ce00-000000000000"
	// MicrosoftTenantID owns the first-party applications.
	MicrosoftTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
)

// Microsoft Graph application permissions (app roles) the emulator enforces.
const (
	RoleApplicationReadAll            = "Application.Read.All"
	RoleApplicationReadWriteAll       = "Application.ReadWrite.All"
	RoleApplicationReadWriteOwnedBy   = "Application.ReadWrite.OwnedBy"
	RoleAppRoleAssignmentReadWriteAll = "AppRoleAssignment.ReadWrite.All"
	RoleDelegatedPermissionGrantRWAll = "DelegatedPermissionGrant.ReadWrite.All"
	RoleDirectoryReadAll              = "Directory.Read.All"
	RoleUserReadAll                   = "User.Read.All"
	RoleUserReadWriteAll              = "User.ReadWrite.All"
	RolePolicyReadAll                 = "Policy.Read.All"
	RolePolicyReadWriteAppConfig      = "Policy.ReadWrite.ApplicationConfiguration"
)

// permissionDef is one seeded permission: a delegated scope or an app role.
type permissionDef struct {
	id, value, description string
}

// graphScopes are Microsoft Graph's delegated permissions, with the real IDs
// (see DESIGN.md). SMTP/IMAP/POP live here because v2 tokens request them
// from Graph's permission list in the portal.
var graphScopes = []permissionDef{
	{"37f7f235-527c-4136-accd-4a02d197296e", "openid", "Sign users in"},
	{"14dad69e-099b-42c9-810b-d002981feec1", "profile", "View users' basic profile"},
	{"64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email", "View users' email address"},
	{"7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "offline_access", "Maintain access to data you have given it access to"},
	{"e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", "Sign in and read user profile"},
	{"e383f46e-2787-4529-855e-0e479a3ffac0", "Mail.Send", "Send mail as a user"},
	{"258f6531-6087-4cc4-bb90-092c5fb3ed3f", "SMTP.Send", "Send emails from mailboxes using SMTP AUTH"},
	{"652390e4-393a-48de-9484-05f9b1212954", "IMAP.AccessAsUser.All", "Read and write access to mailboxes via IMAP"},
	{"d7b7f2d9-0f45-4ea1-9d42-e50810c06991", "POP.AccessAsUser.All", "Read and write access to mailboxes via POP"},
}

// graphRoles are Microsoft Graph's application permissions, with real IDs.
var graphRoles = []permissionDef{
	{"df021288-bdef-4463-88db-98f22de89214", RoleUserReadAll, "Read all users' full profiles"},
	{"741f803b-c850-494e-b5df-cde7c675a1ca", RoleUserReadWriteAll, "Read and write all users' full profiles"},
	{"b633e1c5-b582-4048-a93e-9f11b44c7e96", "Mail.Send", "Send mail as any user"},
	{"798ee544-9d2d-430c-a058-570e29e34338", "Calendars.Read", "Read calendars in all mailboxes"},
	{"089fe4d0-434a-44c5-8827-41ba8a0b17f5", "Contacts.Read", "Read contacts in all mailboxes"},
	{"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", RoleApplicationReadAll, "Read all applications"},
	{"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", RoleApplicationReadWriteAll, "Read and write all applications"},
	{"18a4783c-866b-4cc7-a460-3d5e5662c884", RoleApplicationReadWriteOwnedBy, "Manage apps that this app creates or owns"},
	{"06b708a9-e830-4db3-a914-8e69da51d44f", RoleAppRoleAssignmentReadWriteAll, "Manage app permission grants and app role assignments"},
	{"8e8e4742-1d95-4f68-9d56-6ee75648c72a", RoleDelegatedPermissionGrantRWAll, "Manage all delegated permission grants"},
	{"7ab1d382-f21e-4acd-a863-ba3e13f7da61", RoleDirectoryReadAll, "Read directory data"},
	{"246dd0d5-5bd0-4def-940b-0421030a5b68", RolePolicyReadAll, "Read your organization's policies"},
	{"be74164b-cff1-491c-8741-e671cb536e13", RolePolicyReadWriteAppConfig, "Read and write your organization's application configuration policies"},
}

// exchangeRoles are Office 365 Exchange Online's application permissions.
var exchangeRoles = []permissionDef{
	{"5e5addcd-3e8d-4e90-baf5-964efab2b20a", "IMAP.AccessAsApp", "IMAP.AccessAsApp"},
	{"cb842b43-da6e-4506-86fe-bb12199c656d", "POP.AccessAsApp", "POP.AccessAsApp"},
	{"7146a1f0-8703-45b3-9eae-527a64c00995", "SMTP.SendAsApp", "Send emails from mailboxes using SMTP AUTH"},
	{"dc890d15-9560-4a4c-9b7f-a736ec74ec40", "full_access_as_app", "Use Exchange Web Services with full access to all mailboxes"},
}

// operatorRoles are the Graph app roles consented to the seeded operator app.
var operatorRoles = []string{
	RoleApplicationReadWriteAll,
	RoleAppRoleAssignmentReadWriteAll,
	RoleDelegatedPermissionGrantRWAll,
}

// seedUsers are the test users every tenant gets; the authorize and admin consent endpoints sign
// in the first unless login_hint names another. The first is the tenant's Global Administrator, so
// an admin consent URL opened as it is works; the others are ordinary users.
var seedUsers = []struct {
	alias, given, surname string
	admin                 bool
}{
	{"adele", "Adele", "Vance", true},
	{"alex", "Alex", "Wilber", false},
	{"megan", "Megan", "Bowen", false},
}

func scopesFrom(defs []permissionDef, kind string) []PermissionScope {
	out := make([]PermissionScope, 0, len(defs))
	origin := originApplication
	for _, d := range defs {
		desc := d.description
		out = append(out, PermissionScope{
			ID: d.id, Value: d.value, Type: kind, IsEnabled: true,
			AdminConsentDisplayName: &desc, AdminConsentDescription: &desc,
			UserConsentDisplayName: &desc, UserConsentDescription: &desc,
			Origin: &origin,
		})
	}
	return out
}

func rolesFrom(defs []permissionDef) []AppRole {
	out := make([]AppRole, 0, len(defs))
	origin := originApplication
	for _, d := range defs {
		out = append(out, AppRole{
			ID: d.id, Value: d.value, DisplayName: d.description, Description: d.description,
			IsEnabled: true, AllowedMemberTypes: []string{MemberTypeApplication}, Origin: &origin,
		})
	}
	return out
}
