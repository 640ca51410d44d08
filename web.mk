# The reference fan app (web/): React + TypeScript (Vite) on the client that openapi-typescript
# generates from the committed docs/openapi.yaml. Included by the Makefile; `make run` builds it
# once and Django serves it at /app/. `npm run build` type-checks (tsc --strict) before bundling.

WEB_SOURCES := $(shell find web/src -type f -not -name schema.d.ts 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json

.PHONY: web web-deps chromium screenshots

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-deps: web/node_modules/.installed

web/src/api/schema.d.ts: docs/openapi.yaml web/node_modules/.installed
	web/node_modules/.bin/openapi-typescript docs/openapi.yaml -o $@ >/dev/null

web/dist/index.html: web/src/api/schema.d.ts $(WEB_SOURCES)
	cd web && npm run --silent build

web: web/dist/index.html

# Debian's chromium drives the browser tests (Playwright with executable_path: no browser
# download). CI runs as root and installs it; elsewhere the browser tests say why they skip.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: the browser tests will be skipped"

# Re-takes the screenshots of the browser journey into docs/web/ (the README shows two).
screenshots: install node-deps web chromium
	WEB_SCREENSHOTS=docs/web $(VENV)/bin/pytest tests/web -q -p no:randomly
