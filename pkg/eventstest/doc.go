// Package eventstest holds the test that feeds every API Gateway event in
// events/ through its function's real Lambda handler (aws-lambda-go's
// handler and the api-proxy adapter, in process) against DynamoDB Local
// seeded with the dev server's demo data. It has no other code.
package eventstest
