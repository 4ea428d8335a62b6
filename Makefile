# wattson - a thin wrapper around CMake so that a newcomer types `make run`
# or `make test`.  Both install any missing Debian package first
# (scripts/deps.sh), configure once (a stamp file), build and go.
#
#   make run      build (Debug, ASan+UBSan, -Werror) and start wattson on
#                 the embedded lab
#   make test     the same build, then every suite via ctest, then a short
#                 fuzz run when clang is installed
#   make bench    Release build (no sanitizers), then `wattson bench`,
#                 `bench forecast` on every trace, `bench broker`,
#                 `bench mesh`, `bench partition`, `bench vgpu`,
#                 `bench vgpu-api`, `bench ipc` (strace: deps.sh),
#                 `bench metrics` and,
#                 as root, `bench offload`
#   make fuzz     libFuzzer targets (clang), FUZZ_SECONDS each (default 60),
#                 a new random seed each run (FUZZ_SEED=N to repeat one)
#   make format / make format-check
#
# The dev build's -Werror and sanitizers are asked for here (DEVFLAGS), not
# by CMake's defaults: a plain `cmake -DCMAKE_BUILD_TYPE=Release` user
# build has neither (README, Installing).

BUILD      ?= build
TYPE       ?= Debug
RELEASE    ?= build-release
FUZZBUILD  ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_SEED    ?= 0
ARGS       ?=
DEVFLAGS   ?= -DWATTSON_WERROR=ON -DWATTSON_SANITIZE=ON

SOURCES_C := $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all deps build run test bench fuzz fuzz-quick format format-check clean

all: build

deps:
	@sh scripts/deps.sh

# Re-configured when CMakeLists.txt or this file (DEVFLAGS) changes.
$(BUILD)/.stamp: CMakeLists.txt Makefile | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) $(DEVFLAGS)
	@touch $@

build: deps $(BUILD)/.stamp
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/wattson $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-quick

bench: deps
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DWATTSON_SANITIZE=OFF \
	    -DWATTSON_WERROR=ON
	cmake --build $(RELEASE) -j $(JOBS)
	./$(RELEASE)/wattson bench $(ARGS)
	@for t in lua-policies/labs/traces/kenj-pc-1.csv tests/fixtures/traces/*.csv \
	    lua-policies/labs/heldout/traces/*.csv; do \
	    ./$(RELEASE)/wattson bench forecast $$t || exit 1; done
	./$(RELEASE)/wattson bench broker
	@for l in lua-policies/labs/heldout/*.lua; do \
	    ./$(RELEASE)/wattson bench broker --lab $$l \
	        --load-scale 0.5,0.75,1,1.25 || exit 1; done
	./$(RELEASE)/wattson bench mesh
	./$(RELEASE)/wattson bench partition
	./$(RELEASE)/wattson bench vgpu
	./$(RELEASE)/wattson bench vgpu-api
	./$(RELEASE)/wattson bench ipc
	./$(RELEASE)/wattson bench metrics
	@if [ "$$(id -u)" = 0 ]; then ./$(RELEASE)/wattson bench offload; \
	else echo "bench offload: skipped (it needs root: network namespaces)"; fi

# Short fuzz runs are part of `make test` when clang is there.  Their seed
# is fixed so that a gate gives the same verdict on the same commit: finding
# new bugs is `make fuzz`'s job, whose seed is new each run.
fuzz-quick: deps
	@sh tests/fuzz/run.sh $(FUZZBUILD) 15 1

fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZBUILD) $(FUZZ_SECONDS) $(FUZZ_SEED)

format:
	clang-format -i $(SOURCES_C)

format-check:
	clang-format --dry-run --Werror $(SOURCES_C)

clean:
	rm -rf $(BUILD) $(RELEASE) $(FUZZBUILD)
