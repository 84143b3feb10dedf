# Front door. The two commands the README promises:
#   make run     install deps, build server + UI, start the server (SQLite default)
#   make check   install deps, build (normal + ASan/UBSan + fuzz), run every test
#   make fuzz    fuzz every parser of outside input (FUZZ_SECONDS=60 each)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps build ui run check test test-asan test-fuzz fuzz fuzz-build test-ui test-e2e bench format clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAESTRO_TESTS=ON >/dev/null

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

ui:
	@if [ -f web/package.json ]; then cd web && npm run build --silent; fi

run: deps build ui
	$(BUILD)/maestro serve

$(ASAN_BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMAESTRO_SANITIZE=ON -DMAESTRO_TESTS=ON >/dev/null

# Unit + integration tests (ctest) on the normal build.
test: build
	cd $(BUILD) && ctest --output-on-failure -j2

# The same tests under AddressSanitizer and UBSan.
test-asan: $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j2

# libFuzzer harnesses (tests/fuzz, clang): a third build of the core alone.
$(FUZZ_BUILD)/Makefile: CMakeLists.txt
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMAESTRO_FUZZ=ON >/dev/null

fuzz-build: $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j$(JOBS)

# CI: every committed corpus input once through its harness (no mutation).
test-fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) 0

# Fuzzing proper: FUZZ_SECONDS per harness (FUZZERS="fuzz_sse ..." for some).
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test-ui:
	@if [ -f web/package.json ]; then cd web && npm test --silent; fi

test-e2e: build ui
	@if [ -f tests/e2e/run.mjs ]; then node tests/e2e/run.mjs --binary $(BUILD)/maestro; fi

check: test-deps
	$(MAKE) build ui
	$(MAKE) test
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	$(MAKE) test-ui
	$(MAKE) test-e2e

bench: build
	@bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
