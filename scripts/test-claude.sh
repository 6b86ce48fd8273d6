#!/usr/bin/env bash
# `make test-claude`: Claude Code itself (from npm, into a temporary prefix, under a temporary HOME) registers
# `pipeline mcp` with `claude mcp add` and must report it connected in `claude mcp list`. Optional (the package is
# large), so not part of `make test`; says "skipped" when npm cannot install it.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${CLAUDE_CODE_VERSION:-2.1.332}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --locked --bin pipeline
if ! npm install --prefix "$work/npm" --no-audit --no-fund --silent "@anthropic-ai/claude-code@$version" >/dev/null 2>&1; then
  echo "skipped: @anthropic-ai/claude-code@$version could not be installed from npm"
  exit 0
fi
claude="$work/npm/node_modules/.bin/claude"
bin="$PWD/target/release/pipeline"
"$bin" synth --out "$work/projects" --bytes 200000 --seed 3 >/dev/null
"$bin" --data-dir "$work/data" --quiet run --source "$work/projects"
mkdir -p "$work/home"
HOME="$work/home" "$claude" mcp add --scope user pipeline -- "$bin" --data-dir "$work/data" mcp
listed="$(HOME="$work/home" "$claude" mcp list 2>&1)"
echo "$listed"
if ! grep -q "^pipeline: .*Connected" <<<"$listed"; then
  echo "FAILED: Claude Code $version does not report pipeline connected" >&2
  exit 1
fi
echo "ok: Claude Code $version lists pipeline as connected"
