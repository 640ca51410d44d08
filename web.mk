# The reference fan app (web/): React + TypeScript (Vite) on the client that openapi-typescript
# generates from the committed docs/openapi.yaml. Included by the Makefile; `make run` builds it
# once and Django serves it at /app/. `npm run build` type-checks (tsc --strict) before bundling.

WEB_SOURCES := $(shell find web/src -type f -not -name schema.d.ts 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json

.PHONY: web web-deps

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-deps: web/node_modules/.installed

web/src/api/schema.d.ts: docs/openapi.yaml web/node_modules/.installed
	web/node_modules/.bin/openapi-typescript docs/openapi.yaml -o $@ >/dev/null

web/dist/index.html: web/src/api/schema.d.ts $(WEB_SOURCES)
	cd web && npm run --silent build

web: web/dist/index.html
