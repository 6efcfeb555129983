# Thin wrapper over CMake presets so a newcomer needs two commands: `make run`, `make check`.
# Everything real lives in CMakeLists.txt, CMakePresets.json and tools/.

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR  ?= $(CURDIR)/data
AIOPS     := build/dev/aiops
SOURCES    = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]')

.PHONY: all deps build run check check-format format test test-sanitize fuzz-smoke lint clean

all: build

deps:
	@tools/install-deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)
	@ln -sf build/dev/compile_commands.json compile_commands.json

# The main job: one collection window on this host, stored under ./data.
run: build
	@mkdir -p $(DATA_DIR)
	$(AIOPS) run --data-dir $(DATA_DIR)

test: build
	ctest --preset dev -j $(JOBS)

test-sanitize: deps
	@cmake --preset sanitize >/dev/null
	@cmake --build --preset sanitize -j $(JOBS)
	ctest --preset unit-sanitize -j $(JOBS)

# Real libFuzzer runs of every fuzz target for a few seconds each (needs clang). The whole
# tree is built with clang here, so clang's warnings are checked as gcc's are.
fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	tools/fuzz-smoke.sh build/fuzz 10

check: deps check-format lint test test-sanitize fuzz-smoke

check-format:
	@tools/check-format.sh

# Mechanical rules of STYLE.md: no banned libc calls, no upward includes between layers;
# shell scripts shellcheck-clean.
lint:
	@tools/check-banned.sh
	@tools/check-includes.sh
	@shellcheck -x -s sh tests/integration/*.sh tools/*.sh bench/*.sh .ci/run

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf build compile_commands.json
