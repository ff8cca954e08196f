# The full test suite: unit and fixture tests, fuzz seeds, and the live
# tests against real Django 3.2, 4.2, 5.2 and 6.1 (installed from Debian's
# packages by fixtures/install-django.sh on first use) through real
# PostgreSQL, MariaDB, SQLite, memcached, Redis and files.
.PHONY: test check unit services fixtures bench

test: check services
	bash fixtures/install-django.sh
	bash fixtures/generate.sh --check
	DJSESSION_LIVE=1 go test -race -count=1 -timeout 40m ./...
	@if [ -f examples/sharedlogin/go.mod ]; then cd examples/sharedlogin && DJSESSION_LIVE=1 go test -count=1 -timeout 20m ./...; fi
	cd adapters/gin && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd adapters/gorilla && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd adapters/scs && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd adapters/pgx && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd examples/echo && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd examples/chi && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...
	cd bench/loadgen && go test -race -count=1 -timeout 5m ./...
	cd bench/http && DJSESSION_LIVE=1 go test -race -count=1 -timeout 10m ./...

# What runs with no Django and no servers.
unit:
	go test -race ./...

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	go vet ./...

services:
	bash scripts/services.sh

# Regenerate the golden vectors from real Django (make test checks them with --check).
fixtures:
	bash fixtures/generate.sh

# Go against Django, side by side (Markdown table on stdout).
bench: services
	bash fixtures/install-django.sh
	@/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null; }
	python3 bench/compare.py --rounds 7 --django 5.2 --django 3.2
