# The full test suite: unit and fixture tests, fuzz seeds, and the live
# round trips against real Django 3.2, 4.2, 5.2 and 6.1 (installed from
# Debian's packages by fixtures/install-django.sh on first use).
.PHONY: test check unit fixtures

test: check
	bash fixtures/install-django.sh
	DJSESSION_LIVE=1 go test -race -count=1 ./...

# What runs with no Django and no servers.
unit:
	go test -race ./...

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	go vet ./...

# Regenerate the golden vectors from real Django.
fixtures:
	bash fixtures/generate.sh
