package contract

// SweetConnect share documents and documents (CONTRACT.md §6, seed 003):
// every success body is {"data": …}, times are ISO-8601 strings, errors
// are {"errors":[{errorCode, message, extension}]}.

// SharesErrorMessages are the documented messages of each errorCode
// (the share pages'; DocumentsInternalMessage is the document pages'
// InternalServerError). UnsupportedMediaType is gatehouse's (415 is not
// documented).
var SharesErrorMessages = map[string]string{
	"BadRequest":           "The request payload is invalid.",
	"Unauthorized":         "Authentication is required to access this resource.",
	"NoPermission":         "You do not have permission to access this resource.",
	"NotFound":             "The requested resource was not found.",
	"UnprocessableEntity":  "Operation not allowed for this entity type.",
	"InternalServerError":  "An unexpected error occurred. See logs for further details or create a support ticket.",
	"Conflict":             "A conflict occurred due to duplicate data or resource state issues.",
	"UnsupportedMediaType": "The request content type is not supported.",
}

// DocumentsInternalMessage is the document pages' InternalServerError message.
const DocumentsInternalMessage = "An unexpected internal server error occurred."

// SharesErrors is the error body.
var SharesErrors = Object{"errors": Array(Object{
	"errorCode": OneOf("BadRequest", "Unauthorized", "NoPermission", "NotFound", "Conflict", "UnprocessableEntity",
		"InternalServerError", "UnsupportedMediaType", "BadGateway", "ServiceUnavailable"),
	"message":   String,
	"extension": Any,
})}

// shareStatuses are the documented recipient statuses.
var shareStatuses = OneOf("WAITING_FOR_USER_REGISTRATION", "WAITING_FOR_ADMIN_DECISION", "ACCEPTED", "DECLINED")

// Document is the documented Document object.
var Document = Object{
	"id": UUID, "filename": String, "displayname": String, "ownerId": String, "organizationId": String,
	"manufacturerId": String, "mimetype": Nullable(String),
	"category":  Nullable(Object{"id": String, "languageCode": String, "name": String}),
	"languages": Array(String), "updatedAt": ISOTime, "updatedBy": Nullable(String), "createdBy": Nullable(String),
	"createdAt": ISOTime, "supplierDocument": Bool, "supplierName": Nullable(String),
	"aiInjected": OneOf("uninjected"), "aiInjectedUpdatedAt": Nullable(ISOTime),
}

// DuplicateDocument is the upload's answer for content already stored.
var DuplicateDocument = Object{"warningCode": OneOf("DuplicateDocument"), "message": String, "extension": Object{"document": Document}}

// PendingRecipient is one entry of the pending-requests list.
var PendingRecipient = Object{"recipientId": UUID, "shares": Array(Object{
	"shareId": UUID, "documentId": UUID, "documentName": String, "senderEmail": Nullable(String), "senderName": Nullable(String),
	"recipientEmail": String, "recipientName": Nullable(String), "createdAt": ISOTime,
})}

// StateDocument is one item of GET /v1/shares/state/{userId}.
var StateDocument = Object{"documentId": UUID, "documentName": String, "senderUserName": Nullable(String), "senderUserEmail": Nullable(String), "createdAt": ISOTime}

// ShareState is GET /v1/shares/state/{userId}/{shareId} (status in lower case, as documented).
var ShareState = Object{"status": OneOf("waiting_for_user_registration", "waiting_for_admin_decision", "accepted", "declined"),
	"assetId": Nullable(String), "documentId": UUID}

// CompletedProfile is complete-profile's answer.
var CompletedProfile = Object{"id": UUID, "email": String, "enabled": Bool}

// RecipientCheck is check-recipient's answer; the docs show {} and say
// "whether the address belongs to an existing user and its status".
var RecipientCheck = Object{"exists": Extension(Bool), "sameOrganization": Extension(Nullable(Bool)),
	"userId": Extension(Nullable(UUID)), "status": Extension(Nullable(shareStatuses))}

// EmptyObject is the share's documented {"data": {}}.
var EmptyObject = Object{}
