# pipeline: everything a fresh clone needs is reachable from here.
#   make run     sync ~/.claude/projects into the default data dir (installs the model first)
#   make demo    generate a synthetic sample corpus and sync it into target/demo (no real history needed)
#   make test    install the model if needed, then run every test (unit + integration, real model, real sled,
#                Qdrant through the in-process fake; the real-Qdrant variants say "skipped" without QDRANT_URL)
#   make test-qdrant  the Qdrant tests against a real server: QDRANT_URL=http://host:6334 make test-qdrant
#   make test-claude  Claude Code itself (from npm) registers `pipeline mcp` and reports it connected (optional)
#   make bench   throughput benchmark: raw embedder vs pipeline, parse MB/s, peak RSS
#   make eval    search quality on the labelled question sets: Claude Code's, Codex/Gemini's and a held-out set
#                over all three (top-k, MRR@50 per style; hybrid vs each half);
#                EVAL_PIPELINE=pipelines/claude-code-mpnet.toml make eval measures another model
#                (pipelines/claude-code-two-models.toml: MiniLM and mpnet, for questions in plain words)
#   make model-mpnet  all-mpnet-base-v2 exported to ONNX (optional 768-d model; pipelines/claude-code-mpnet.toml)
#   make lint    rustfmt + clippy, warnings are errors
#   make torture long crash / fault / bad-input runs, with a summary table
#   make fuzz    bounded cargo-fuzz run of the line reader + assembler (FUZZ_SECONDS, default 60)
#   make install install the `pipeline` binary into ~/.cargo/bin (for `claude mcp add`)

CARGO ?= cargo
MODEL_DIR ?= $(or $(PIPELINE_MODEL_DIR),$(or $(XDG_DATA_HOME),$(HOME)/.local/share)/pipeline/models)
export PIPELINE_MODEL_DIR := $(MODEL_DIR)
export PIPELINE_FIXTURES ?= $(abspath ../shared/fixtures)
# Where cargo puts the release binary (CARGO_TARGET_DIR moves it).
BIN := $(or $(CARGO_TARGET_DIR),target)/release/pipeline
DEMO := target/demo
ARGS ?=

.PHONY: all model model-mpnet build install run demo test test-qdrant test-tools test-claude mcp-client bench eval lint torture fuzz clean-demo

all: build

model:
	@bash scripts/install-model.sh

model-mpnet: model
	@bash scripts/install-mpnet.sh

build:
	$(CARGO) build --release --locked

install: model
	$(CARGO) install --path . --locked --bin pipeline

run: model build
	$(BIN) run $(ARGS)

demo: model build
	rm -rf $(DEMO)
	$(BIN) synth --out $(DEMO)/projects --bytes 1500000 --seed 7
	$(BIN) --data-dir $(DEMO)/data run --source $(DEMO)/projects --budget 110s; \
	  code=$$?; while [ $$code -eq 75 ]; do $(BIN) --data-dir $(DEMO)/data resume --budget 110s; code=$$?; done; \
	  test $$code -eq 0
	$(BIN) --data-dir $(DEMO)/data stats

test: model test-tools mcp-client
	python3 eval/verify_labels.py "$(PIPELINE_FIXTURES)" > /dev/null
	python3 eval/agents/verify_labels.py "$(PIPELINE_FIXTURES)" > /dev/null
	python3 eval/heldout/verify_labels.py "$(PIPELINE_FIXTURES)" > /dev/null
	$(CARGO) test --locked --workspace --all-targets -- --test-threads=2

# The same Qdrant tests, unchanged, against a real Qdrant 1.x (its gRPC port; QDRANT_API_KEY if it needs one).
test-qdrant: model
	@test -n "$(QDRANT_URL)" || (echo "set QDRANT_URL, e.g. QDRANT_URL=http://localhost:6334 make test-qdrant" >&2; exit 2)
	QDRANT_URL=$(QDRANT_URL) $(CARGO) test --locked --test qdrant -- --test-threads=1 real

# The official MCP TypeScript SDK client that tests/mcp_sdk.rs drives `pipeline mcp` with (from npm, versions
# pinned by its package-lock.json); where npm cannot install it, that test says "skipped".
mcp-client:
	@test -d tests/mcp-client/node_modules/@modelcontextprotocol/sdk || \
	  (cd tests/mcp-client && npm ci --no-audit --no-fund --silent >/dev/null 2>&1) || \
	  echo "MCP SDK client not installed (npm unreachable?): tests/mcp_sdk.rs will be skipped"

# Optional: the package is large. Says "skipped" where npm cannot install it.
test-claude: model
	@bash scripts/test-claude.sh

# Debian's libfaketime, for the clock-jump test (skipped, and says so, where it cannot be installed).
test-tools:
	@ls /usr/lib/*-linux-gnu/faketime/libfaketime.so.1 >/dev/null 2>&1 || \
	  (apt-get install -y -qq libfaketime >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libfaketime >/dev/null 2>&1)) || \
	  echo "libfaketime not installed: the clock-jump test will be skipped"

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps --lib

# The long versions of the crash, fault and bad-input tests, one at a time, the fuzz run, then their summary table.
torture: model
	PIPELINE_TORTURE=1 $(CARGO) test --locked --test torture --test crash_and_budget -- --nocapture --test-threads=1 \
	  > target/torture.log 2>&1; status=$$?; \
	  grep -E '^test .* (ok|FAILED)$$' target/torture.log; \
	  bash scripts/fuzz.sh; fuzz=$$?; \
	  scripts/torture-table.sh target/torture.log; test $$status -ne 0 || status=$$fuzz; exit $$status

# Fuzzes the line reader and assembler for FUZZ_SECONDS (seeded from the fixtures); non-zero on a crash.
fuzz:
	@bash scripts/fuzz.sh

# Builds the binaries: the benchmark runs the real `pipeline` binary beside it, as a user would, and the
# `qdrant-fake` test double when QDRANT_URL does not name a real Qdrant.
bench: model
	$(CARGO) build --release --locked --workspace --bins
	$(dir $(BIN))pipeline-bench

# Search quality on the labelled question sets (eval/questions.jsonl, eval/agents/questions.jsonl,
# eval/heldout/questions.jsonl): top-1/5/10 and MRR@50 per style, for hybrid, semantic-only and lexical-only
# ranking; JSON in target/eval/results.json, results-agents.json and results-heldout.json. See docs/search-quality.md.
eval: model
	$(CARGO) build --release --locked --bin pipeline --bin pipeline-eval
	$(dir $(BIN))pipeline-eval

clean-demo:
	rm -rf $(DEMO)
