package contract

// Agent collaborators (CONTRACT.md §4, docs.fruxon.com/api/agents/collaborators/).

// CollaboratorRole is the docs' role enum as responses spell it; a
// response never says UNSPECIFIED.
var CollaboratorRole = OneOf("VIEWER", "EDITOR", "ADMIN")

// CollaboratorStatus: the docs show PENDING; ACTIVE is gatehouse's status
// of a grant (README: "Where gatehouse goes beyond the docs").
var CollaboratorStatus = OneOf("PENDING", "ACTIVE")

// AlertPreferences is the collaborator's alertPreferences object.
var AlertPreferences = Object{"errorAlerts": Bool, "accessRequestAlerts": Bool, "budgetAlerts": Bool}

// Collaborator is an item of GET /agents/{agent}/collaborators.
var Collaborator = Object{
	"agentId": String, "userId": String, "role": CollaboratorRole,
	"email": String, "firstName": String, "lastName": String,
	"createdAt": Int, "modifiedAt": Int, "status": CollaboratorStatus,
	"alertPreferences": AlertPreferences,
}

// CollaboratorList is the list: a bare array.
var CollaboratorList = Array(Collaborator)

// CollaboratorGrant is what PUT /agents/{agent}/collaborators and
// POST …/{user}:approve answer. tenantId is a UUID in the docs' example;
// gatehouse's tenant ids are strings.
var CollaboratorGrant = Object{
	"agentId": String, "userId": String, "role": CollaboratorRole, "status": CollaboratorStatus,
	"alertPreferences": AlertPreferences, "createdAt": Int, "modifiedAt": Int, "tenantId": String,
}

// CollaboratorProblem is the RFC 9457 error body of this family, with
// the extension members it may carry.
var CollaboratorProblem = Object{
	"type": String, "title": String, "status": Int, "detail": String, "instance": String,
	"currentStatus": Extension(CollaboratorStatus), "accepted": Extension(String),
}
