# catalog-bff – the two commands a new developer needs are `make run` and `make test`.
SWIFT ?= swift
BIN := .build/debug/catalog-bff

.PHONY: run test drill bench deps build release smoke rules install clean

## Build and serve the demo catalog on http://127.0.0.1:8080 (SQLite, mail to files).
run: build
	$(BIN) serve

## Install what is missing, build, run every test (RECORD_SNAPSHOTS=1 rewrites the HTML references).
test:
	@scripts/install-deps.sh --test
	$(SWIFT) build --build-tests
	$(SWIFT) test
	PRINT_TEST=1 $(SWIFT) test --skip-build --filter printsOnOnePage
	@$(MAKE) --no-print-directory smoke
	@$(MAKE) --no-print-directory rules
	scripts/check-deploy.sh debug
	scripts/browser-test.sh $(BIN)

## The Prometheus alert rules in deploy/: valid, and firing (or not) on sample series as their tests say.
rules:
	promtool check rules deploy/prometheus/catalog-bff.rules.yml
	cd deploy/prometheus && promtool test rules catalog-bff.rules.test.yml

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --product catalog-bff

release: deps
	$(SWIFT) build -c release --product catalog-bff

## Install under PREFIX (default /usr/local): the binary in bin/, templates and static files
## in share/catalog-bff/ (the binary finds them there), a sample settings file in
## etc/catalog-bff/. BUILD=debug installs the debug build as it is, without building.
PREFIX ?= /usr/local
BUILD ?= release
install: $(if $(filter release,$(BUILD)),release)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/catalog-bff $(DESTDIR)$(PREFIX)/etc/catalog-bff
	install -m 755 .build/$(BUILD)/catalog-bff $(DESTDIR)$(PREFIX)/bin/catalog-bff
	rm -rf $(DESTDIR)$(PREFIX)/share/catalog-bff/templates $(DESTDIR)$(PREFIX)/share/catalog-bff/public $(DESTDIR)$(PREFIX)/share/catalog-bff/directus
	cp -R templates public deploy/directus $(DESTDIR)$(PREFIX)/share/catalog-bff/
	install -m 644 deploy/catalog-bff.env $(DESTDIR)$(PREFIX)/etc/catalog-bff/catalog-bff.env.sample
	install -m 644 deploy/catalog-bff.service deploy/nginx.conf $(DESTDIR)$(PREFIX)/share/catalog-bff/
	@echo "installed in $(DESTDIR)$(PREFIX): bin/catalog-bff, share/catalog-bff/, etc/catalog-bff/catalog-bff.env.sample"

## The bad-day tests again and again (outages, SIGKILL, two instances), to catch what only
## shows once in a while: DRILL_ROUNDS=10 make drill.
DRILL_ROUNDS ?= 3
drill:
	@scripts/install-deps.sh --test
	$(SWIFT) build --build-tests
	@for round in $$(seq $(DRILL_ROUNDS)); do echo "drill round $$round"; \
	  $(SWIFT) test --skip-build --filter 'OutageTests|CrashRecoveryTests|MultiInstanceTests|leaseRenewal|deadInstances' || exit 1; done

## Benchmarks on a release build (wrk on loopback): the warm page against nginx, memory and
## throughput under a minute of load, and a 10,000-product catalog from a loopback Directus
## (crawl, memory, a cold burst of 500). Results print and land as JSON in bench/results/.
bench:
	bench/page-vs-nginx.sh
	bench/through-nginx.sh
	bench/memory-under-load.sh
	bench/large-catalog.sh
	bench/render-cost.sh

## The binary itself: a bad setting stops start-up with exit code 2 and names the variable.
smoke:
	@out=$$(PORT=not-a-port $(BIN) serve 2>&1); code=$$?; \
	  if [ $$code -ne 2 ] || ! echo "$$out" | grep -q "PORT"; then echo "smoke: expected exit 2 naming PORT, got $$code: $$out"; exit 1; fi; \
	  echo "smoke: invalid PORT stops start-up with exit 2"
	@out=$$(ADMIN_TOKEN=abc $(BIN) serve 2>&1); code=$$?; \
	  if [ $$code -ne 2 ] || ! echo "$$out" | grep -q "ADMIN_TOKEN" || echo "$$out" | grep -q "abc"; then echo "smoke: expected exit 2 naming ADMIN_TOKEN without its value, got $$code: $$out"; exit 1; fi; \
	  echo "smoke: a short ADMIN_TOKEN stops start-up with exit 2"
	@dir=$$(mktemp -d); out=$$(TEMPLATES_DIR=$$dir DATA_DIR=$$dir/var $(BIN) serve 2>&1); code=$$?; rm -rf $$dir; \
	  if [ $$code -ne 1 ] || ! echo "$$out" | grep -q "template 'layout' is missing" || echo "$$out" | grep -q "Assertion"; then echo "smoke: expected exit 1 naming the missing template, got $$code: $$out"; exit 1; fi; \
	  echo "smoke: missing templates stop start-up with one line (the open database is closed)"
	@dir=$$(mktemp -d); DATABASE_URL=sqlite://$$dir/db.sqlite $(BIN) migrate >/dev/null 2>&1 && DATABASE_URL=sqlite://$$dir/db.sqlite $(BIN) migrate >/dev/null 2>&1 \
	  || { echo "smoke: catalog-bff migrate failed"; exit 1; }; rm -rf $$dir; echo "smoke: catalog-bff migrate brings a database up to date, twice"

clean:
	rm -rf .build
