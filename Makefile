# The two commands a newcomer needs: `make demo` and `make test`. Everything else is for developers.
JOBS ?= $(shell nproc)
BUILD := build

.PHONY: all deps build test unit e2e demo bench fuzz asan clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	@[ -f $(BUILD)/build.ninja ] || cmake --preset release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Every test: unit tests per module and end-to-end tests of the real binary (registered in ctest).
test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	@scripts/install-deps.sh demo
	@scripts/demo.sh

# Benchmarks against notmuch, mu and ripgrep (run by hand; results go to bench/RESULTS.md).
bench: build
	@scripts/install-deps.sh bench
	@bench/run.sh
	@bench/search.sh

# Short libFuzzer runs of every fuzz target (clang). FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh fuzz
	@[ -f build-fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Unit and end-to-end tests under AddressSanitizer and UBSan.
asan: deps
	@[ -f build-asan/build.ninja ] || cmake --preset asan >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ctest --test-dir build-asan --output-on-failure -j $(JOBS)

clean:
	rm -rf build build-debug build-asan build-fuzz
