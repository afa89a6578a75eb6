// Package events holds the test that feeds every API Gateway event in
// this folder through its function's real Lambda handler (aws-lambda-go's
// handler and the api-proxy adapter, in process) against DynamoDB Local
// seeded with the dev server's demo data (`go test ./events/`). It has no
// other code; the test sits here, beside the files it keeps valid, rather
// than in pkg/testkit, which holds only code other packages import.
package events
