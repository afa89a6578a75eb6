# gatehouse. `make dev` runs everything locally; `make test` runs the tests.
SHELL := /bin/bash
GO ?= go
DEVSTACK := .devstack
JAR_STAMP := $(DEVSTACK)/node_modules/.installed
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags "-s -w"
# The operator console's frontend (TypeScript, Vite); its build goes to
# pkg/console/dist, which ConsoleFunction embeds and make dev serves.
CONSOLE_WEB := pkg/console/web
CONSOLE_STAMP := $(CONSOLE_WEB)/node_modules/.installed
# The frontend steps run once its package.json exists.
HAVE_CONSOLE_WEB = test -f $(CONSOLE_WEB)/package.json

.PHONY: dev dev-reset token test lint vet fuzz bench build clean deps console

$(JAR_STAMP): $(DEVSTACK)/package-lock.json
	npm ci --prefix $(DEVSTACK) --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(JAR_STAMP)
	$(GO) mod download

$(CONSOLE_STAMP): $(CONSOLE_WEB)/package-lock.json
	npm ci --prefix $(CONSOLE_WEB) --no-audit --no-fund --loglevel=error
	@touch $@

## console: the console's build into pkg/console/dist: the OpenAPI document it generates its API
## types from (.devstack/out/openapi.yaml), npm ci when the lockfile changed, then type-check and vite build
console:
	@mkdir -p $(DEVSTACK)/out && $(GO) run ./cmd/openapi > $(DEVSTACK)/out/openapi.yaml.tmp && mv $(DEVSTACK)/out/openapi.yaml.tmp $(DEVSTACK)/out/openapi.yaml
	@if $(HAVE_CONSOLE_WEB); then \
	  $(MAKE) --no-print-directory $(CONSOLE_STAMP) && npm run --prefix $(CONSOLE_WEB) build; \
	else echo "console: no $(CONSOLE_WEB)/package.json; /console/ answers 503 console-not-built"; fi

## dev: DynamoDB Local + in-process S3 + dev OIDC issuer + demo data, API and console on 127.0.0.1:3000
dev: deps console
	$(GO) run ./cmd/devserver

## dev-reset: like dev, starting from empty data
dev-reset: deps console
	$(GO) run ./cmd/devserver -reset

## token: print one dev bearer token (SUB, TENANT, TENANT_ROLE, ORG, REALM_ROLES, NAME, EMAIL)
token:
	@$(GO) run ./cmd/devtoken

## test: vet, cfn-lint, a short bounded fuzz pass, then every unit and integration test on one DynamoDB
## Local, then the console's unit tests (vitest) and browser tests (headless /usr/bin/chromium
## against a dev server of their own on a free port)
test: deps lint console
	$(GO) vet ./...
	FUZZTIME=$${FUZZTIME:-10000x} $(GO) run ./cmd/withdynamo -- bash .ci/fuzz.sh
	$(GO) run ./cmd/withdynamo -- $(GO) test -count=1 -timeout 30m ./...
	@if $(HAVE_CONSOLE_WEB); then \
	  npm --prefix $(CONSOLE_WEB) test && npm --prefix $(CONSOLE_WEB) run e2e; \
	else echo "test: no $(CONSOLE_WEB)/package.json; console tests skipped"; fi

## lint: cfn-lint over template.yaml (SAM transform included; any error fails, e.g. E3004 circular
## dependency) and Redocly (pinned in .devstack) over the merged OpenAPI document: 0 errors
lint: $(JAR_STAMP)
	@command -v cfn-lint >/dev/null || { echo "cfn-lint not found: pip install cfn-lint (it brings aws-sam-translator)" >&2; exit 1; }
	cfn-lint template.yaml
	@mkdir -p $(DEVSTACK)/out && $(GO) run ./cmd/openapi > $(DEVSTACK)/out/openapi.yaml
	$(DEVSTACK)/node_modules/.bin/redocly lint --format=stylish $(DEVSTACK)/out/openapi.yaml

## bench: benchmarks against DynamoDB Local (ns/op and DynamoDB calls/op), then the Lambda size and init budget.
## One package at a time, and the 100k-item list benchmark on a DynamoDB Local of its own: after
## it the shared one (heap at its 512 MiB cap) answered 10-25x slower, which made every benchmark
## run after it (the webhooks') look 19x slower than GET, measured before it.
## The console's bench (first-load bytes, time until the Pending list shows) runs last.
bench: deps console
	$(GO) run ./cmd/withdynamo -- $(GO) test -p 1 -run '^$$' -bench . -skip '^BenchmarkListScale$$' -benchmem -timeout 30m ./...
	$(GO) run ./cmd/withdynamo -- $(GO) test -run '^$$' -bench '^BenchmarkListScale$$' -benchmem -timeout 30m ./pkg/accessrequests/
	$(GO) run ./cmd/lambdabudget
	@if $(HAVE_CONSOLE_WEB); then npm --prefix $(CONSOLE_WEB) run bench; \
	else echo "bench: no $(CONSOLE_WEB)/package.json; console bench skipped"; fi

## build-<LogicalId>: what `sam build` calls (BuildMethod: makefile); the console's embeds its build
build-ConsoleFunction: console
build-%Function:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $* | tr A-Z a-z)

## build: every function binary into bin/<name>/bootstrap
build: console
	@for d in functions/*/; do n=$$(basename $$d); \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o bin/$$n/bootstrap ./$$d || exit 1; \
	  ls -l bin/$$n/bootstrap; done

clean:
	rm -rf bin .aws-sam
