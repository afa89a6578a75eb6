package events_test

import "github.com/gatehouse/gatehouse/pkg/devserver"

// The legacy chat-user access requests (seed 002): a view of the same
// rows as the participant access requests, in that model's field names.
func init() {
	expect["accessrequests-legacylist.json"] = expectation{status: 200}
	expect["accessrequests-legacyget.json"] = expectation{status: 200, fields: map[string]any{
		"id": devserver.DemoID("request/424242"), "identifier": "424242", "userName": "Fox Mulder", "tenantId": "demo", "status": "PENDING"}}
	expect["accessrequests-legacyapprove.json"] = expectation{status: 200, fields: map[string]any{
		"status": "APPROVED", "processedBy": "alice", "processingNote": "welcome"}}
	expect["accessrequests-legacyreject.json"] = expectation{status: 200, fields: map[string]any{
		"id": devserver.DemoID("request/U0DEMODANA"), "status": "REJECTED", "processingNote": "not now"}}
	// Batch decisions (an extension): the answer is checked against the
	// OpenAPI document here; the per-item results are tested in
	// pkg/accessrequests.
	expect["accessrequests-batchapprove.json"] = expectation{status: 200}
	expect["accessrequests-batchreject.json"] = expectation{status: 200}
	expect["accessrequests-legacybatchapprove.json"] = expectation{status: 200}
	expect["accessrequests-legacybatchreject.json"] = expectation{status: 200}
}
