package contract

import "fmt"

// Fruxon integration configs (CONTRACT.md §5): the connectors gatehouse
// serves at /integrations/{integration}/configs, and the webhook verbs.

// mapOf is a JSON object whose every value is s (the docs' `parameters{}`).
type mapOf struct{ s Shape }

func (m mapOf) check(path string, v any, errs *[]string) {
	o, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: got %s, want an object", path, describe(v)))
		return
	}
	for k, fv := range o {
		m.s.check(path+"."+k, fv, errs)
	}
}

// sandboxModes are the documented sandboxMode values.
var sandboxModes = OneOf("UNSPECIFIED", "NONE", "VENDOR", "SIMULATED", "READ_THROUGH")

// IntegrationConfig is the documented object. gatehouse adds the agent it
// serves, its onboarding policy, the names of the write-only parameters
// set, and the webhook's template and key prefix (which the docs' reads
// show in participants' channelActivations).
var IntegrationConfig = Object{
	"id":            UUID,
	"integrationId": OneOf("slack", "teams", "telegram", "whatsapp", "twilio"),
	"displayName":   String,
	"parameters":    mapOf{String},
	"hasAuth":       Bool,
	"hasAuthMap":    Bool,
	"authMethodId":  Nullable(String),
	"auth": Nullable(Object{
		"level":                     OneOf("APPLICATION"),
		"integrationAuthMetadataId": String,
		"grantedScopes":             Array(String),
	}),
	"authMapEntries":      Array(Object{"parameters": mapOf{Any}}),
	"sandboxMode":         sandboxModes,
	"sandboxVariant":      Nullable(Any),
	"publishedRevisionId": Nullable(UUID),
	"createdBy":           String,
	"createdAt":           Int,
	"modifiedAt":          Int,

	"agentId":            Extension(String),
	"onboarding":         Extension(Object{"enabled": Bool, "message": String}),
	"approvedMessage":    Extension(Nullable(String)),
	"rejectedMessage":    Extension(Nullable(String)),
	"secretParameters":   Extension(Array(String)),
	"webhookUrlTemplate": Extension(String),
	"webhookKeyPrefix":   Extension(Nullable(String)),
	"requestExpiryDays":  Extension(Int),
	// Flood guard and reject cooldown (issue 12, part 7).
	"floodLimitPerHour":     Extension(Int),
	"rejectCooldownSeconds": Extension(Int),
}

// IntegrationConfigs is the list: a bare array (shape not captured in the
// docs; inferred like every other list).
var IntegrationConfigs = Array(IntegrationConfig)

// WebhookURL is what :generateWebhookUrl and /webhook:rotate show once.
var WebhookURL = Object{"webhookUrl": String, "webhookKeyPrefix": String}

// ApplyWebhookResult is :applyWebhookToProvider's answer.
var ApplyWebhookResult = Object{"applied": Bool, "providerResponse": Nullable(String), "errorMessage": Nullable(String)}

// InspectWebhookResult is :inspectWebhook's answer.
var InspectWebhookResult = Object{
	"inspectFailed":              Bool,
	"providerHasUrl":             Bool,
	"providerUrlMatchesExpected": Bool,
	"providerReportedUrl":        Nullable(String),
	"lastErrorMessage":           Nullable(String),
	"lastErrorAt":                Nullable(Int),
	"pendingUpdateCount":         Int,
	"errorMessage":               Nullable(String),
}
