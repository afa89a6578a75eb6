// Package testkit is where the dev and test stand-ins live; it has no code
// of its own. Production code (functions/, and the packages they import)
// never imports anything under it; the dev server (`make dev`),
// cmd/withdynamo (`make test`), cmd/devtoken (`make token`) and tests do.
//
// Naming rule: one package per directory, directory and package named
// <thing>kit, where <thing> is what the package stands in for or provides,
// as one plain lower-case word:
//
//	apikit       the whole HTTP API in process, on a fresh table, with tokens
//	avatarkit    the providers' APIs avatar sync talks to (and a hostile image host)
//	chatkit      the chat providers' send APIs and Bot Framework's token signing
//	dynamokit    DynamoDB Local: running it, clients for it, a fresh table per test
//	issuerkit    the JWT issuer (key pair, JWKS, tokens)
//	keycloakkit  Keycloak's token and admin endpoints
//	prismkit     Stoplight Prism as a validating proxy (a checker, not a stand-in)
//	s3kit        S3 (gofakes3, in memory)
//	seskit       Amazon SES v2 SendEmail (writes .eml files; failure switches)
//
// The "kit" suffix, rather than a name of its own or a "test" suffix,
// keeps a kit apart from the production package it pairs with (keycloak
// and keycloakkit), so a test imports both without aliases, and says at
// the import site that the code is a stand-in. A kit holds only code
// other packages import; a test of a kit sits in the kit's folder, and a
// test of something else sits beside what it tests (the events test is in
// events/).
//
// Running DynamoDB Local is part of dynamokit rather than a package of its
// own: it is dev and test tooling only, dynamokit's tables need it, and
// like s3kit (which both serves S3 for the dev server and starts one per
// test) one kit per stood-in service keeps its start-up, clients and test
// helpers together.
package testkit
