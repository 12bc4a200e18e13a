# Front door for people and CI. Every target the README shows is here.
# `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing first (scripts/deps.sh, idempotent and quick when done).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=

.PHONY: all build deps demo test test-unit asan-build test-asan test-asan-cli fuzz fuzz-build bench check-banned install clean

all: build

deps:
	@bash scripts/deps.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Quick start 1: the main job on the embedded default, then its result.
demo: deps build
	@bash scripts/demo.sh $(BUILD)/tsarchive

# Quick start 2: the whole test suite (what CI runs).
test: deps check-banned build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-asan-cli
	@$(MAKE) --no-print-directory fuzz

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# Unit tests, fuzz-corpus replays and the Parquet corpus under ASan+UBSan.
asan-build:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTS_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test-asan: asan-build
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -L 'unit|sanitize'

# The command-line integration tests again, with the ASan+UBSan binary (any
# report fails the test); the Parquet-reader comparisons and the CLI corpus
# walk are left to the normal build (the corpus runs in-process above).
test-asan-cli: asan-build
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -L integration \
		-E 'oracles|emulators/|lib/|parquet/test_corpus|parquet/test_duckdb_files|parquet/test_writer_interop'

fuzz-build:
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTS_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS, starting from its seed corpus.
fuzz: fuzz-build
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@bash bench/run.sh $(BUILD)/tsarchive

check-banned:
	@bash scripts/check-banned.sh

install: build
	@cmake --install $(BUILD)

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
