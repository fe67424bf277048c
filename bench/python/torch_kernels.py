#!/usr/bin/env python3
"""PyTorch side of `mmgp bench kernels`: times GEMM, convolution and attention shapes on the CPU.

Input: a JSON object {"threads": N, "target_seconds": S, "max_call_seconds": C, "cases": [...]}
(or just the list of cases) on stdin, or in the file named by the first argument.
Output: one JSON object on stdout (progress goes to stderr).

Case kinds (FLOPs counted as the Java side counts them):
  gemm      {m, n, k}: nn.Linear(k, n, bias=False) applied to x[m, k], i.e. x . W^T with W[n, k];
            m is the token count. 2*m*n*k.
  conv2d    {n, c_in, c_out, h, w, kernel, stride, padding}: 2*N*C_out*outH*outW*C_in*kh*kw.
  conv3d    {n, c_in, c_out, t, h, w, kernel: [kt, kh, kw], padding: [pt, ph, pw]}:
            2*N*C_out*outT*outH*outW*C_in*kt*kh*kw.
  attention {batch, heads, q_len, kv_len, head_dim}: softmax(q.k^T*scale).v, or
            F.scaled_dot_product_attention where torch has it. 4*B*H*Tq*Tk*D.

Dtypes: fp32; fp32_onednn (GEMM only: the nn.Linear converted with torch.utils.mkldnn, i.e. a oneDNN
inner product; shows what fp32 can do when the BLAS that aten's matmul calls is a slow one); bf16
(tensors .to(torch.bfloat16): oneDNN where the CPU has AVX-512 BF16/AMX, a generic fallback elsewhere);
int8 (GEMM only: torch.ao.quantization.quantize_dynamic of the nn.Linear, activation quantization
included, on the default quantized engine). An unsupported dtype gets an "error" string.

Timing: warm-up, then the median of several timed samples (each sample one or more calls),
about target_seconds per measurement. A dtype whose single call would take longer than
max_call_seconds (judged from pilots on reduced shapes) is measured on a reduced shape instead
and says so ("reduced": the shape it ran, "note": why).
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------- shapes and FLOPs


def out_len(n, k, stride, pad):
    return (n + 2 * pad - k) // stride + 1


def flops(case):
    kind = case["kind"]
    if kind == "gemm":
        return 2.0 * case["m"] * case["n"] * case["k"]
    if kind == "conv2d":
        kk = case["kernel"]
        oh = out_len(case["h"], kk, case.get("stride", 1), case.get("padding", 0))
        ow = out_len(case["w"], kk, case.get("stride", 1), case.get("padding", 0))
        return 2.0 * case["n"] * case["c_out"] * oh * ow * case["c_in"] * kk * kk
    if kind == "conv3d":
        kt, kh, kw = case["kernel"]
        pt, ph, pw = case.get("padding", [0, 0, 0])
        ot, oh, ow = out_len(case["t"], kt, 1, pt), out_len(case["h"], kh, 1, ph), out_len(case["w"], kw, 1, pw)
        return 2.0 * case["n"] * case["c_out"] * ot * oh * ow * case["c_in"] * kt * kh * kw
    if kind == "attention":
        return 4.0 * case["batch"] * case["heads"] * case["q_len"] * case["kv_len"] * case["head_dim"]
    raise ValueError("unknown case kind %r" % kind)


def reduced(case, factor):
    """The same case with about 1/factor of the FLOPs: fewer tokens, rows or queries; weights unchanged."""
    c = dict(case)
    kind = case["kind"]
    if kind == "gemm":
        c["m"] = max(1, case["m"] // factor)
    elif kind == "conv2d":
        kk, stride, pad = case["kernel"], case.get("stride", 1), case.get("padding", 0)
        oh = max(1, out_len(case["h"], kk, stride, pad) // factor)
        c["h"] = max(1, (oh - 1) * stride + kk - 2 * pad)
    elif kind == "conv3d":
        kh, ph = case["kernel"][1], case.get("padding", [0, 0, 0])[1]
        oh = max(1, out_len(case["h"], kh, 1, ph) // factor)
        c["h"] = max(1, oh - 1 + kh - 2 * ph)
    elif kind == "attention":
        c["q_len"] = max(1, case["q_len"] // factor)
    return c


def shape_text(case):
    kind = case["kind"]
    if kind == "gemm":
        return "m=%d n=%d k=%d" % (case["m"], case["n"], case["k"])
    if kind == "conv2d":
        return "n=%d %d->%d %dx%d k=%d" % (case["n"], case["c_in"], case["c_out"], case["h"], case["w"], case["kernel"])
    if kind == "conv3d":
        return "n=%d %d->%d t=%d %dx%d" % (case["n"], case["c_in"], case["c_out"], case["t"], case["h"], case["w"])
    return "B=%d H=%d Tq=%d Tk=%d D=%d" % (case["batch"], case["heads"], case["q_len"], case["kv_len"], case["head_dim"])


# --------------------------------------------------------------------------- the ops

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def make_op(case, dtype):
    """A zero-argument callable computing the case in dtype; raises when that dtype cannot run it."""
    gen = torch.Generator().manual_seed(1)
    kind = case["kind"]
    if kind == "gemm":
        m, n, k = case["m"], case["n"], case["k"]
        x = torch.randn(m, k, generator=gen)
        lin = torch.nn.Linear(k, n, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(n, k, generator=gen) / math.sqrt(k))
        lin.eval()
        if dtype == "fp32":
            return lambda: lin(x)
        if dtype == "fp32_onednn":
            if not torch.backends.mkldnn.is_available():
                raise RuntimeError("torch was built without oneDNN (mkldnn)")
            import torch.utils.mkldnn as mkl
            mlin = mkl.to_mkldnn(lin)
            return lambda: mlin(x)
        if dtype == "bf16":
            lb, xb = lin.to(torch.bfloat16), x.to(torch.bfloat16)
            return lambda: lb(xb)
        if dtype == "int8":
            q = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(lin), {torch.nn.Linear}, dtype=torch.qint8)
            return lambda: q(x)
        raise RuntimeError("no %s route for a GEMM" % dtype)
    if dtype not in ("fp32", "bf16"):
        raise RuntimeError("%s is measured for GEMMs only" % dtype)
    dt = torch.float32 if dtype == "fp32" else torch.bfloat16
    if kind == "conv2d":
        x = torch.randn(case["n"], case["c_in"], case["h"], case["w"], generator=gen).to(dt)
        kk = case["kernel"]
        wt = (torch.randn(case["c_out"], case["c_in"], kk, kk, generator=gen) / math.sqrt(case["c_in"] * kk * kk)).to(dt)
        stride, pad = case.get("stride", 1), case.get("padding", 0)
        return lambda: F.conv2d(x, wt, None, stride, pad)
    if kind == "conv3d":
        x = torch.randn(case["n"], case["c_in"], case["t"], case["h"], case["w"], generator=gen).to(dt)
        kt, kh, kw = case["kernel"]
        wt = (torch.randn(case["c_out"], case["c_in"], kt, kh, kw, generator=gen) / math.sqrt(case["c_in"] * kt * kh * kw)).to(dt)
        pad = tuple(case.get("padding", [0, 0, 0]))
        return lambda: F.conv3d(x, wt, None, 1, pad)
    if kind == "attention":
        b, h, tq, tk, d = case["batch"], case["heads"], case["q_len"], case["kv_len"], case["head_dim"]
        q = torch.randn(b, h, tq, d, generator=gen).to(dt)
        kx = torch.randn(b, h, tk, d, generator=gen).to(dt)
        v = torch.randn(b, h, tk, d, generator=gen).to(dt)
        if HAS_SDPA:
            return lambda: F.scaled_dot_product_attention(q, kx, v)
        scale = 1.0 / math.sqrt(d)
        return lambda: torch.matmul(torch.softmax(torch.matmul(q, kx.transpose(-1, -2)) * scale, dim=-1), v)
    raise ValueError("unknown case kind %r" % kind)


# --------------------------------------------------------------------------- timing


def call_seconds(op):
    t0 = time.perf_counter()
    op()
    return time.perf_counter() - t0


def measure(op, target):
    """(median seconds per call, calls timed): warm-up, then samples of one or more calls each."""
    warm_start = time.perf_counter()
    last = call_seconds(op)
    while time.perf_counter() - warm_start < min(0.25, target / 3) and last < 0.1:
        last = call_seconds(op)
    inner = max(1, int(math.ceil(0.02 / max(last, 1e-9))))  # a sample lasts >= ~20 ms
    per_sample = inner * last
    if last > 1.0:
        samples = max(1, min(3, int(3.0 / last)))
    else:
        samples = max(3, min(25, int(round(target / per_sample))))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            op()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times), samples * inner


def pilot_rate(case, dtype):
    """FLOP/s of one call of case in dtype, after a first call (allocation, oneDNN primitive creation)."""
    op = make_op(case, dtype)
    with torch.no_grad():
        op()
        return flops(case) / call_seconds(op)


def run_dtype(case, dtype, target, max_call):
    """One dtype of one case: {"seconds", "gflops", "calls"} (+ "reduced", "note") or {"error"}."""
    full = flops(case)
    try:
        # A slow fallback kernel (bf16 without AVX-512 BF16, an unoptimised BLAS) would take minutes
        # per call of the big shapes. So a big case first runs a pilot on a tiny version (halved until
        # at most ~0.5 GFLOP, at most 64x smaller); when that projects a full call above max_call, a
        # second pilot on the largest reduction affordable from there (small GEMMs run less
        # efficiently, so the tiny pilot can undersell a fast route) decides, and a still-too-slow
        # dtype is measured on that reduced shape.
        tiny_factor = 1
        while full / tiny_factor > 0.5e9 and tiny_factor < 64:
            tiny_factor *= 2
        run_case, note = case, None
        if tiny_factor > 1:
            rate = pilot_rate(reduced(case, tiny_factor), dtype)
            if full / rate > max_call:
                factor = 2
                while factor < tiny_factor and full / factor / rate > max_call / 4:
                    factor *= 2
                if factor < tiny_factor:
                    rate = pilot_rate(reduced(case, factor), dtype)
                if full / rate > max_call:
                    run_case = reduced(case, factor)
                    note = ("a pilot projected ~%.3g s for one call of the full shape (> %g s): measured on %s instead"
                            % (full / rate, max_call, shape_text(run_case)))
        op = make_op(run_case, dtype)
        with torch.no_grad():
            secs, calls = measure(op, target)
        result = {"seconds": secs, "gflops": flops(run_case) / secs / 1e9, "calls": calls}
        if note:
            result["reduced"] = shape_text(run_case)
            result["note"] = note
        return result
    except Exception as e:  # an unsupported dtype/op combination: report it, go on
        return {"error": "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")}


# --------------------------------------------------------------------------- environment


def loaded_library(fragment):
    """Resolved path of the first mapped shared library whose name contains fragment (Linux only)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if fragment in os.path.basename(path):
                    return os.path.realpath(path)
    except OSError:
        pass
    return None


def environment(threads):
    env = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "requested_threads": threads,
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "quantized_engine": torch.backends.quantized.engine,
        "quantized_engines": list(torch.backends.quantized.supported_engines),
        "scaled_dot_product_attention": HAS_SDPA,
        "python": sys.version.split()[0],
    }
    cpu = getattr(torch.backends, "cpu", None)
    if cpu is not None and hasattr(cpu, "get_cpu_capability"):
        env["cpu_capability"] = cpu.get_cpu_capability()
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            env["build_cpu_capability"] = line.split(":", 1)[1].strip()
    try:
        env["mkldnn_bf16_supported"] = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:
        pass
    # Which BLAS aten's fp32 matmul calls (Debian's torch links libblas.so.3, an alternatives link).
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    for name in ("openblas", "libmkl_rt", "libblis", "libblas"):
        lib = loaded_library(name)
        if lib:
            env["blas"] = lib
            # Debian's alternatives: .../blas/libblas.so.3 is the netlib reference implementation
            # (unoptimised), .../openblas-pthread/libblas.so.3 OpenBLAS, and so on.
            kinds = (("openblas", "OpenBLAS"), ("mkl", "MKL"), ("blis", "BLIS"), ("atlas", "ATLAS"), ("/blas/", "reference BLAS"))
            env["blas_kind"] = next((k for frag, k in kinds if frag in lib.lower()), "unknown")
            break
    return env


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 and sys.argv[1] != "-" else sys.stdin.read()
    spec = json.loads(text)
    if isinstance(spec, list):
        spec = {"cases": spec}
    threads = int(spec.get("threads", torch.get_num_threads()))
    target = float(spec.get("target_seconds", 0.75))
    max_call = float(spec.get("max_call_seconds", 5.0))
    torch.set_num_threads(threads)
    if "fbgemm" in torch.backends.quantized.supported_engines:
        torch.backends.quantized.engine = "fbgemm"
    out = environment(threads)
    out["target_seconds"] = target
    out["max_call_seconds"] = max_call
    results = []
    for case in spec["cases"]:
        kinds = ["fp32", "fp32_onednn", "bf16", "int8"] if case["kind"] == "gemm" else ["fp32", "bf16"]
        dtypes = {}
        for dt in case.get("dtypes", kinds):
            r = run_dtype(case, dt, target, max_call)
            dtypes[dt] = r
            print("torch %-24s %-12s %s" % (case.get("name", case["kind"]), dt,
                  r.get("error") or "%.1f GFLOP/s%s" % (r["gflops"], " (reduced shape)" if "reduced" in r else "")),
                  file=sys.stderr, flush=True)
        results.append({"name": case.get("name", case["kind"]), "kind": case["kind"], "gflop": flops(case) / 1e9, "dtypes": dtypes})
    out["cases"] = results
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
