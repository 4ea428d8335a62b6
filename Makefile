# wattson - a thin wrapper around CMake so that a newcomer types `make run`
# or `make test`.  Both install any missing Debian package first
# (scripts/deps.sh), configure once (a stamp file), build and go.
#
#   make run      build (Debug) and start wattson on the embedded lab
#   make test     build (Debug, ASan+UBSan) and run every suite via ctest,
#                 then a short fuzz run when clang is installed
#   make bench    Release build, then `wattson bench`, `bench forecast` on
#                 every trace and `bench broker`
#   make fuzz     libFuzzer targets (clang), FUZZ_SECONDS each (default 60)
#   make format / make format-check

BUILD      ?= build
TYPE       ?= Debug
RELEASE    ?= build-release
FUZZBUILD  ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
ARGS       ?=

SOURCES_C := $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all deps build run test bench fuzz fuzz-quick format format-check clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/.stamp: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE)
	@touch $@

build: deps $(BUILD)/.stamp
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/wattson $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-quick

bench: deps
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE) -j $(JOBS)
	./$(RELEASE)/wattson bench $(ARGS)
	@for t in lua-policies/labs/traces/kenj-pc-1.csv tests/fixtures/traces/*.csv; do \
	    ./$(RELEASE)/wattson bench forecast $$t || exit 1; done
	./$(RELEASE)/wattson bench broker

# Short fuzz runs are part of `make test` when clang is there.
fuzz-quick: deps
	@sh tests/fuzz/run.sh $(FUZZBUILD) 15

fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZBUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $(SOURCES_C)

format-check:
	clang-format --dry-run --Werror $(SOURCES_C)

clean:
	rm -rf $(BUILD) $(RELEASE) $(FUZZBUILD)
