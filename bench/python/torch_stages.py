#!/usr/bin/env python3
"""Stage-level PyTorch peer for mmgp's benchmark harness (`mmgp bench e2e`).

Times the heavy stages of aMUSEd-256 and LTX-Video at full size with random weights, written with
plain torch.nn layers in the same architecture and shapes as the upstream models (diffusers'
UVit2DModel for aMUSEd-256, transformers' T5 encoder for T5-XXL, diffusers'
LTXVideoTransformer3DModel for LTX-Video 2B, diffusers' VQModel decoder for aMUSEd's VQ-GAN,
diffusers' LTXVideoDecoder3d with the LTX-Video 0.9.5 VAE config).
It is a peer for speed only: the arithmetic (every matmul, attention and convolution shape)
matches; small elementwise details that do not change the cost are simplified. (The VAE decoder,
in ltx_vae_decoder.py, is exact: loaded with a diffusers checkpoint's weights it gives diffusers'
output; --check-ltx-vae shows it on a fixture.)

Usage: torch_stages.py [--threads N] [--stages amused,t5,ltx,vq,ltx_vae] [--dtypes fp32,bf16] [--quick]
                       [--cap-seconds S] [--min-seconds S] [--max-reps N]
Prints one JSON object on stdout (progress on stderr): versions, the BLAS torch's fp32 matmuls
call, threads and, per stage and dtype, the median seconds of a forward pass, the GFLOP of its
matmuls/convolutions/attention (counted by the same rule as mmgp's GraphStats: 2 per
multiply-add) and how it was measured.

Bounded runs: a stage/dtype stops once it has spent --cap-seconds. A pass still running at the
cap, or whose next matmul/convolution would end past it at the pass's rate so far, is abandoned
and its time extrapolated from the FLOPs it had done ("capped", "estimated",
"lower_bound_seconds"); a warm-up pass over half the cap is the only pass timed. bf16 on a CPU
without AVX-512 BF16/AMX runs through a slow generic path in torch 1.13, so this matters there.
A model too large for the memory available is built with fewer of its identical layers and its
time scaled by FLOPs ("layers_timed" of "layers").
--quick: every stage at a small width and one or two layers, a proof run of seconds; its
figures are not comparable with the full-size models.
"""
import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from ltx_vae_decoder import LtxVaeDecoder, check_ltx_vae


# ---------------------------------------------------------------------------- shared layers

class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6, affine=True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim)) if affine else None

    def forward(self, x):
        y = x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps).to(x.dtype)
        return y * self.weight if self.weight is not None else y


def attention_core(q, k, v, heads, scale=None, bias=None):
    """q [B, Tq, D], k/v [B, Tk, D] → [B, Tq, D], softmax(q·kᵀ·scale + bias)·v per head."""
    b, tq, d = q.shape
    tk = k.shape[1]
    hd = d // heads
    q = q.view(b, tq, heads, hd).transpose(1, 2)
    k = k.view(b, tk, heads, hd).transpose(1, 2)
    v = v.view(b, tk, heads, hd).transpose(1, 2)
    s = torch.matmul(q, k.transpose(-1, -2)) * (scale if scale is not None else 1.0 / math.sqrt(hd))
    if bias is not None:
        s = s + bias
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, v).transpose(1, 2).reshape(b, tq, d)


class Sdpa:
    """The attention core every Attention calls; a meter may wrap it to count and time it."""
    fn = staticmethod(attention_core)


class Attention(nn.Module):
    def __init__(self, dim, ctx_dim, heads, bias=False, qk_norm=False, scale=None):
        super().__init__()
        self.heads, self.scale = heads, scale
        self.q = nn.Linear(dim, dim, bias=bias)
        self.k = nn.Linear(ctx_dim, dim, bias=bias)
        self.v = nn.Linear(ctx_dim, dim, bias=bias)
        self.o = nn.Linear(dim, dim, bias=bias)
        self.nq = RMSNorm(dim, 1e-5) if qk_norm else None
        self.nk = RMSNorm(dim, 1e-5) if qk_norm else None

    def forward(self, x, ctx=None, bias=None, rope=None):
        ctx = x if ctx is None else ctx
        q, k, v = self.q(x), self.k(ctx), self.v(ctx)
        if self.nq is not None:
            q, k = self.nq(q), self.nk(k)
        if rope is not None:
            cos, sin = rope
            q = q * cos + rotate_pairs(q) * sin
            k = k * cos + rotate_pairs(k) * sin
        return self.o(Sdpa.fn(q, k, v, self.heads, self.scale, bias))


def rotate_pairs(x):
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    return torch.stack([-x2, x1], dim=-1).flatten(-2)


# ---------------------------------------------------------------------------- aMUSEd-256 UViT (one CFG pair)

class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2, bias=False)
        self.out = nn.Linear(inner, dim, bias=False)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return self.out(h * F.gelu(gate))


class UVitTransformerLayer(nn.Module):
    """BasicTransformerBlock: self-attn, cross-attn, GEGLU FF, each with AdaLayerNormContinuous-style norms."""

    def __init__(self, dim, heads, ctx, inner, cond):
        super().__init__()
        self.n1, self.n2, self.n3 = RMSNorm(dim), RMSNorm(dim), RMSNorm(dim)
        self.ada = nn.ModuleList(nn.Linear(cond, dim * 2, bias=False) for _ in range(3))
        self.a1 = Attention(dim, dim, heads)
        self.a2 = Attention(dim, ctx, heads)
        self.ff = GEGLU(dim, inner)

    def mod(self, i, norm, x, c):
        scale, shift = self.ada[i](c).chunk(2, dim=-1)
        return norm(x) * (1 + scale[:, None]) + shift[:, None]

    def forward(self, x, enc, c):
        x = x + self.a1(self.mod(0, self.n1, x, c))
        x = x + self.a2(self.mod(1, self.n2, x, c), enc)
        return x + self.ff(self.mod(2, self.n3, x, c))


class ConvNextBlock(nn.Module):
    def __init__(self, ch, cond):
        super().__init__()
        self.dw = nn.Conv2d(ch, ch, 3, padding=1, groups=ch, bias=False)
        self.norm = RMSNorm(ch)
        self.l1 = nn.Linear(ch, ch * 4, bias=False)
        self.l2 = nn.Linear(ch * 4, ch, bias=False)
        self.cond = nn.Linear(cond, ch * 2, bias=False)

    def forward(self, x, c):  # x [B, C, H, W]
        h = self.dw(x).permute(0, 2, 3, 1)
        h = self.l2(F.gelu(self.l1(self.norm(h)))).permute(0, 3, 1, 2)
        scale, shift = self.cond(c).chunk(2, dim=1)
        return (x + h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]


class SkipFFBlock(nn.Module):
    def __init__(self, ch, heads, ctx):
        super().__init__()
        self.n1, self.n2 = RMSNorm(ch), RMSNorm(ch)
        self.a1 = Attention(ch, ch, heads)
        self.a2 = Attention(ch, ctx, heads)

    def forward(self, x, enc):
        x = x + self.a1(self.n1(x))
        return x + self.a2(self.n2(x), enc)


class UVit2D(nn.Module):
    def __init__(self, layers=22, hidden=1024, heads=16, inner=2816, ch=768, block_heads=12, vocab=8256, codebook=8192,
                 res_blocks=3, text=768, micro=1280):
        super().__init__()
        self.emb = nn.Embedding(vocab, ch)
        self.emb_norm = RMSNorm(ch)
        self.emb_conv = nn.Conv2d(ch, ch, 1)
        self.enc_proj = nn.Linear(text, hidden, bias=False)
        self.cond1 = nn.Linear(text + micro, hidden, bias=False)
        self.cond2 = nn.Linear(hidden, hidden, bias=False)
        self.down = nn.ModuleList(ConvNextBlock(ch, hidden) for _ in range(res_blocks))
        self.down_attn = nn.ModuleList(SkipFFBlock(ch, block_heads, hidden) for _ in range(res_blocks))
        self.to_hidden = nn.Linear(ch, hidden, bias=False)
        self.layers = nn.ModuleList(UVitTransformerLayer(hidden, heads, hidden, inner, hidden) for _ in range(layers))
        self.from_hidden = nn.Linear(hidden, ch, bias=False)
        self.up = nn.ModuleList(ConvNextBlock(ch, hidden) for _ in range(res_blocks))
        self.up_attn = nn.ModuleList(SkipFFBlock(ch, block_heads, hidden) for _ in range(res_blocks))
        self.mlm1 = nn.Conv2d(ch, ch, 1, bias=False)
        self.mlm2 = nn.Conv2d(ch, codebook, 1, bias=False)

    def blocks(self, convs, attns, x, c, enc):
        for conv, attn in zip(convs, attns):
            x = conv(x, c)
            b, ch, h, w = x.shape
            t = attn(x.flatten(2).transpose(1, 2), enc)
            x = t.transpose(1, 2).reshape(b, ch, h, w)
        return x

    def forward(self, ids, enc, pooled, micro):
        enc = self.enc_proj(enc)
        c = F.silu(self.cond2(F.silu(self.cond1(torch.cat([pooled, micro], dim=1)))))
        x = self.emb_conv(self.emb_norm(self.emb(ids)).permute(0, 3, 1, 2))
        x = self.blocks(self.down, self.down_attn, x, c, enc)
        b, ch, h, w = x.shape
        s = self.to_hidden(x.flatten(2).transpose(1, 2))
        for layer in self.layers:
            s = layer(s, enc, c)
        x = self.from_hidden(s).transpose(1, 2).reshape(b, ch, h, w)
        x = self.blocks(self.up, self.up_attn, x, c, enc)
        return self.mlm2(self.mlm1(x))


def amused_stage(layers, quick):
    if quick:
        model, vocab = UVit2D(layers=layers, hidden=128, heads=2, inner=352, ch=96, block_heads=2, vocab=1088, codebook=1024, res_blocks=1), 1088
    else:
        model, vocab = UVit2D(layers=layers), 8256
    b = 2  # the CFG pair, batched as mmgp and diffusers run it
    return model, (torch.randint(0, vocab, (b, 16, 16)), torch.randn(b, 77, 768), torch.randn(b, 768), torch.randn(b, 1280))


# ---------------------------------------------------------------------------- T5-XXL encoder

class T5Layer(nn.Module):
    def __init__(self, d, ff, heads):
        super().__init__()
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.attn = Attention(d, d, heads, scale=1.0)
        self.wi0 = nn.Linear(d, ff, bias=False)
        self.wi1 = nn.Linear(d, ff, bias=False)
        self.wo = nn.Linear(ff, d, bias=False)

    def forward(self, x, bias):
        x = x + self.attn(self.n1(x), bias=bias)
        h = self.n2(x)
        return x + self.wo(F.gelu(self.wi0(h), approximate="tanh") * self.wi1(h))


class T5Encoder(nn.Module):
    def __init__(self, layers=24, d=4096, ff=10240, heads=64, vocab=32128):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(T5Layer(d, ff, heads) for _ in range(layers))
        self.norm = RMSNorm(d)

    def forward(self, ids, bias):
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x, bias)
        return self.norm(x)


def t5_stage(layers, quick):
    d, ff, heads = (256, 640, 4) if quick else (4096, 10240, 64)
    t = 128
    return T5Encoder(layers=layers, d=d, ff=ff, heads=heads), (torch.randint(0, 32128, (1, t)), torch.randn(1, heads, t, t))


# ---------------------------------------------------------------------------- LTX-Video 2B transformer

class LtxBlock(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.a1 = Attention(d, d, heads, bias=True, qk_norm=True)
        self.a2 = Attention(d, d, heads, bias=True, qk_norm=True)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.table = nn.Parameter(torch.randn(6, d) / d ** 0.5)
        self.n1, self.n2 = RMSNorm(d, affine=False), RMSNorm(d, affine=False)

    def forward(self, x, enc, temb, rope, bias):
        sh1, sc1, g1, sh2, sc2, g2 = (self.table[None] + temb.unflatten(1, (6, -1))).unbind(1)
        h = self.n1(x) * (1 + sc1[:, None]) + sh1[:, None]
        x = x + self.a1(h, rope=rope) * g1[:, None]
        x = x + self.a2(x, enc, bias=bias)
        h = self.n2(x) * (1 + sc2[:, None]) + sh2[:, None]
        return x + self.ff2(F.gelu(self.ff1(h), approximate="tanh")) * g2[:, None]


class LtxTransformer(nn.Module):
    def __init__(self, layers=28, d=2048, heads=32, ff=8192, text=4096):
        super().__init__()
        self.proj_in = nn.Linear(128, d)
        self.t1, self.t2, self.t3 = nn.Linear(256, d), nn.Linear(d, d), nn.Linear(d, 6 * d)
        self.c1, self.c2 = nn.Linear(text, d), nn.Linear(d, d)
        self.blocks = nn.ModuleList(LtxBlock(d, heads, ff) for _ in range(layers))
        self.norm = RMSNorm(d, affine=False)
        self.proj_out = nn.Linear(d, 128)

    def forward(self, x, enc, tproj, cos, sin, bias):
        x = self.proj_in(x)
        emb = self.t2(F.silu(self.t1(tproj)))
        temb = self.t3(F.silu(emb))
        enc = self.c2(F.gelu(self.c1(enc), approximate="tanh"))
        for block in self.blocks:
            x = block(x, enc, temb, (cos, sin), bias)
        return self.proj_out(self.norm(x))


def ltx_stage(layers, quick):
    # 512×320×49 → latents 16×10×7 = 1,120 tokens; --quick: mmgp's quick size 256×160×9 → 8×5×2 = 80
    t, l = (80, 128) if quick else (7 * 10 * 16, 128)
    d, heads, ff = (256, 4, 1024) if quick else (2048, 32, 8192)
    model = LtxTransformer(layers=layers, d=d, heads=heads, ff=ff)
    return model, (torch.randn(1, t, 128), torch.randn(1, l, 4096), torch.randn(1, 256), torch.randn(t, d), torch.randn(t, d),
                   torch.zeros(1, 1, 1, l))


# ---------------------------------------------------------------------------- aMUSEd VQ-GAN decoder (16×16×64 → 256²)

class ResBlock2d(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(groups, cin), nn.GroupNorm(groups, cout)
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.c2(F.silu(self.n2(self.c1(F.silu(self.n1(x))))))
        return (x if self.skip is None else self.skip(x)) + h


class VqDecoder(nn.Module):
    def __init__(self, channels=(128, 256, 256, 512, 768), layers=2, latent=64, groups=32):
        super().__init__()
        rev = list(reversed(channels))
        self.conv_in = nn.Conv2d(latent, rev[0], 3, padding=1)
        self.mid = nn.ModuleList([ResBlock2d(rev[0], rev[0], groups), ResBlock2d(rev[0], rev[0], groups)])
        ups, cin = [], rev[0]
        for i, cout in enumerate(rev):
            blocks = nn.ModuleList(ResBlock2d(cin if j == 0 else cout, cout, groups) for j in range(layers + 1))
            up = nn.Conv2d(cout, cout, 3, padding=1) if i < len(rev) - 1 else None
            ups.append(nn.ModuleDict({"blocks": blocks, **({"up": up} if up is not None else {})}))
            cin = cout
        self.ups = nn.ModuleList(ups)
        self.norm = nn.GroupNorm(groups, channels[0])
        self.conv_out = nn.Conv2d(channels[0], 3, 3, padding=1)

    def forward(self, z):
        x = self.conv_in(z)
        for m in self.mid:
            x = m(x)
        for up in self.ups:
            for b in up["blocks"]:
                x = b(x)
            if "up" in up:
                x = up["up"](F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm(x)))


def vq_stage(layers, quick):
    model = VqDecoder(channels=(16, 16, 16, 32, 32), groups=8) if quick else VqDecoder()
    return model, (torch.randn(1, 64, 16, 16),)


# ---------------------------------------------------------------------------- LTX-Video 0.9.5 VAE decoder (128×7×10×16 → 49×320×512)

def ltx_vae_stage(layers, quick):
    # Latents of 512×320×49 are 16×10×7; --quick: mmgp's quick size 256×160×9 → 8×5×2, at reduced widths.
    if quick:
        model, shape = LtxVaeDecoder(channels=(16, 32, 64), layers=(1, 1, 1, 1)), (1, 128, 2, 5, 8)
    else:
        model, shape = LtxVaeDecoder(), (1, 128, 7, 10, 16)
    return model, (torch.randn(*shape), torch.full((shape[0],), 0.05))  # the 0.9.5 pipeline's decode_timestep


# key: (label, builder(layers, quick), the full model's count of identical layers or None)
STAGES = {
    "amused": ("aMUSEd-256 UViT step (CFG pair, batch 2)", amused_stage, 22),
    "t5": ("T5-XXL encoder, 128 tokens", t5_stage, 24),
    "ltx": ("LTX 2B DiT step, 512×320×49 (1,120 tokens), batch 1", ltx_stage, 28),
    "vq": ("aMUSEd VQ decode, 16×16 codes → 256²", vq_stage, None),
    "ltx_vae": ("LTX 0.9.5 VAE decode (timestep-conditioned), 128×7×10×16 latents → 49×320×512", ltx_vae_stage, None),
}
QUICK_LAYERS = 2


# ---------------------------------------------------------------------------- building, counting, timing

@contextlib.contextmanager
def no_init():
    """Skips the default (slow, kaiming) initialisation; fill() sets every weight afterwards."""
    saved = [(cls, cls.reset_parameters) for cls in (nn.Linear, nn.Conv2d, nn.Conv3d, nn.Embedding)]
    for cls, _ in saved:
        cls.reset_parameters = lambda self: None
    try:
        yield
    finally:
        for cls, fn in saved:
            cls.reset_parameters = fn


def fill(model):
    """Uniform ±1/√fan-in for matrices and kernels (the default's scale), so no NaN/denormal slows a kernel."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                bound = 1.0 / math.sqrt(max(1, fan_in))
                p.uniform_(-bound, bound, generator=gen)
            elif name.endswith("bias"):
                p.uniform_(-0.01, 0.01, generator=gen)
    return model


def build(key, layers, quick, filled=True):
    """The stage's model (weights set unless only its FLOPs are to be counted) and its inputs."""
    with no_init():
        model, inputs = STAGES[key][1](layers, quick)
    return (fill(model) if filled else model).eval(), inputs


CONVS = (nn.Conv2d, nn.Conv3d)


def conv_out(m, x):
    def one(size, i):
        k, s, p, d = m.kernel_size[i], m.stride[i], m.padding[i], m.dilation[i]
        return (size + 2 * p - d * (k - 1) - 1) // s + 1
    return (x.shape[0], m.out_channels) + tuple(one(x.shape[2 + i], i) for i in range(len(m.kernel_size)))


def conv_flops(m, out_shape):
    return 2.0 * math.prod(out_shape) * math.prod(m.kernel_size) * (m.in_channels // m.groups)


def count_flops(model, inputs):
    """2·MACs of every Linear, Conv2d/3d and attention matmul, from a dry pass: those ops return zeros of their shape."""
    total = [0.0]
    saved = {}

    def dry_linear(m):
        def f(x):
            rows = x.numel() // m.in_features
            total[0] += 2.0 * rows * m.in_features * m.out_features
            return x.new_zeros(x.shape[:-1] + (m.out_features,))
        return f

    def dry_conv(m):
        def f(x):
            shape = conv_out(m, x)
            total[0] += conv_flops(m, shape)
            return x.new_zeros(shape)
        return f

    def dry_sdpa(q, k, v, heads, scale=None, bias=None):
        total[0] += 4.0 * q.shape[0] * q.shape[1] * k.shape[1] * q.shape[2]
        return q.new_zeros(q.shape)

    for m in model.modules():
        if isinstance(m, nn.Linear):
            saved[m] = m.forward
            m.forward = dry_linear(m)
        elif isinstance(m, CONVS):
            saved[m] = m.forward
            m.forward = dry_conv(m)
    plain = Sdpa.fn
    Sdpa.fn = staticmethod(dry_sdpa)
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        Sdpa.fn = staticmethod(plain)
        for m, fwd in saved.items():
            m.forward = fwd
    return total[0]


def params(model):
    return sum(p.numel() for p in model.parameters())


class Capped(Exception):
    pass


class Meter:
    """Counts the FLOPs a real pass has done (forward hooks) and stops it at a deadline: after an op once past it,
    and before an op that would end past it at the pass's rate so far (one slow op, a full-resolution bf16
    convolution, can take minutes, so waiting for it would overrun the cap by as much)."""

    def __init__(self, model):
        self.done, self.deadline, self.started = 0.0, None, None
        self.handles = []
        for m in model.modules():
            if isinstance(m, nn.Linear):
                self.handles.append(m.register_forward_pre_hook(lambda m, inp: self.ahead(2.0 * inp[0].numel() * m.out_features)))
                self.handles.append(m.register_forward_hook(self.linear))
            elif isinstance(m, CONVS):
                self.handles.append(m.register_forward_pre_hook(lambda m, inp: self.ahead(conv_flops(m, conv_out(m, inp[0])))))
                self.handles.append(m.register_forward_hook(self.conv))
        self.plain = Sdpa.fn
        meter = self

        def counted(q, k, v, heads, scale=None, bias=None):
            flops = 4.0 * q.shape[0] * q.shape[1] * k.shape[1] * q.shape[2]
            meter.ahead(flops)
            out = meter.plain(q, k, v, heads, scale, bias)
            meter.add(flops)
            return out

        Sdpa.fn = staticmethod(counted)

    def start(self, deadline):
        self.done, self.deadline, self.started = 0.0, deadline, time.perf_counter()

    def ahead(self, flops):
        if self.deadline is None or self.done <= 0:
            return
        now = time.perf_counter()
        if now + flops * (now - self.started) / self.done > self.deadline:
            raise Capped()

    def add(self, flops):
        self.done += flops
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise Capped()

    def linear(self, m, inp, out):
        self.add(2.0 * out.numel() * m.in_features)

    def conv(self, m, inp, out):
        self.add(conv_flops(m, out.shape))

    def close(self):
        Sdpa.fn = staticmethod(self.plain)
        for h in self.handles:
            h.remove()


def time_stage(model, inputs, flops, cap, min_seconds, max_reps):
    """Median seconds of a forward pass, all of it within about `cap` seconds (see the module doc)."""
    meter = Meter(model)
    start = time.perf_counter()

    def one_pass():
        meter.start(start + cap)
        t0 = meter.started
        try:
            model(*inputs)
        except Capped:
            elapsed = time.perf_counter() - t0
            return None, elapsed, meter.done
        return time.perf_counter() - t0, None, None

    try:
        with torch.no_grad():
            warm, elapsed, done = one_pass()  # warm-up: oneDNN primitive creation, allocator
            if warm is None:
                return capped_result(elapsed, done, flops, cap, "the warm-up pass")
            if warm > cap / 2:
                return {"seconds": warm, "reps": 1, "capped": True,
                        "note": "warm-up pass only: it took over half the %g s cap" % cap}
            times = []
            while len(times) < max_reps and (len(times) < 2 or sum(times) < min_seconds):
                if times and time.perf_counter() + statistics.median(times) > start + cap:
                    break
                t, elapsed, done = one_pass()
                if t is None:
                    if not times:
                        return capped_result(elapsed, done, flops, cap, "the first timed pass")
                    break
                times.append(t)
            out = {"seconds": statistics.median(times), "reps": len(times)}
            if len(times) < 2 and max_reps >= 2:
                out["capped"] = True
                out["note"] = "one timed pass: a second would pass the %g s cap" % cap
            return out
    finally:
        meter.close()


def capped_result(elapsed, done, flops, cap, which):
    fraction = done / flops if flops > 0 else 0.0
    out = {"capped": True, "estimated": True, "reps": 0, "lower_bound_seconds": elapsed, "done_fraction": fraction,
           "note": "%s was stopped at the %g s cap after %.1f%% of its FLOPs; seconds extrapolated" % (which, cap, 100 * fraction)}
    out["seconds"] = elapsed / fraction if fraction > 0 else None
    return out


# ---------------------------------------------------------------------------- what torch runs on

def blas_info():
    """Which BLAS library torch's fp32 matmuls call, from this process's own mappings after one matmul."""
    a = torch.randn(64, 64)
    torch.mm(a, a)
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.strip() else ""
                low = os.path.basename(path).lower()
                if ("blas" in low or "mkl_" in low or "blis" in low) and path not in libs:
                    libs.append(path)
    except OSError:
        pass
    config = torch.__config__.show()
    blas_field = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split("\n") if part.strip().startswith("BLAS_INFO=")), None)
    alt = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    alternative = os.path.realpath(alt) if os.path.exists(alt) else None
    joined = " ".join(libs).lower()
    if "openblas" in joined:
        kind = "OpenBLAS"
    elif "mkl" in joined or (blas_field or "").lower() == "mkl":
        kind = "MKL"
    elif "blis" in joined:
        kind = "BLIS"
    elif "/blas/libblas" in joined or (alternative or "").find("/blas/libblas") >= 0:
        kind = "reference BLAS"
    else:
        kind = "unknown"
    out = {"kind": kind, "libraries": libs, "torch_blas_info": blas_field, "alternative": alternative}
    if kind == "reference BLAS":
        out["warning"] = ("torch's fp32 matmuls run on the reference (netlib) BLAS, ~2 GFLOP/s: "
                          "apt-get install python3-torch libopenblas0-openmp")
    return out


def cpu_info(config):
    capability = None
    for line in config.splitlines():
        if "CPU capability usage" in line:
            capability = line.split(":", 1)[1].strip()
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    bf16 = [f for f in ("avx512_bf16", "amx_bf16") if f in flags]
    return capability, (("native: " + ", ".join(bf16)) if bf16 else "emulated: no AVX-512 BF16 or AMX, so torch's bf16 matmuls take a generic path")


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--quick", action="store_true", help="small widths, 2 layers: a proof run of seconds")
    ap.add_argument("--cap-seconds", type=float, default=None, help="most seconds one stage/dtype may take (default 120; 20 with --quick)")
    ap.add_argument("--min-seconds", type=float, default=None, help="time at least this long when under the cap (default 5; 0.2 with --quick)")
    ap.add_argument("--max-reps", type=int, default=5)
    ap.add_argument("--memory-fraction", type=float, default=0.6, help="share of MemAvailable a model may take before fewer layers are built")
    ap.add_argument("--check-ltx-vae", metavar="FIXTURE", help="time nothing: print how far the ltx_vae decoder, with the weights of "
                    "FIXTURE/checkpoint/vae, is from FIXTURE/golden/vae_decode.safetensors (diffusers' output), as JSON")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.check_ltx_vae:
        try:
            json.dump(check_ltx_vae(args.check_ltx_vae), sys.stdout)
        except (OSError, ValueError, KeyError, RuntimeError) as e:  # a missing file, another config, a state dict that does not fit
            print(f"--check-ltx-vae {args.check_ltx_vae}: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(2)
        print()
        return
    torch.manual_seed(0)
    cap = args.cap_seconds if args.cap_seconds is not None else (20.0 if args.quick else 120.0)
    min_s = args.min_seconds if args.min_seconds is not None else (0.2 if args.quick else 5.0)
    config = torch.__config__.show()
    capability, bf16 = cpu_info(config)
    out = {"torch": torch.__version__, "python": platform.python_version(), "executable": sys.executable, "threads": torch.get_num_threads(),
           "mkldnn": torch.backends.mkldnn.is_available(), "cpu_capability": capability, "bf16": bf16, "blas": blas_info(),
           "omp_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ},
           "quick": args.quick, "cap_seconds": cap, "stages": []}
    if out["blas"].get("warning"):
        print("warning: " + out["blas"]["warning"], file=sys.stderr)
    dtypes = [d for d in args.dtypes.split(",") if d]
    for d in dtypes:
        if d not in ("fp32", "bf16"):
            print(f"unknown dtype {d}; known: fp32,bf16", file=sys.stderr)
            sys.exit(2)
    for key in [s for s in args.stages.split(",") if s]:
        if key not in STAGES:
            print(f"unknown stage {key}; known: {','.join(STAGES)}", file=sys.stderr)
            sys.exit(2)
        label, _, full_layers = STAGES[key]
        layers = QUICK_LAYERS if args.quick and full_layers else full_layers
        row = {"stage": key, "label": label + (" [--quick: reduced model]" if args.quick else ""), "results": {}}
        if layers:
            # FLOPs and parameters of the whole model from 1- and 2-layer builds (the layers are identical).
            one, inputs = build(key, 1, args.quick, filled=False)
            f1, p1 = count_flops(one, inputs), params(one)
            del one
            two, inputs = build(key, 2, args.quick, filled=False)
            f2, p2 = count_flops(two, inputs), params(two)
            del two
            flops, n_params = f1 + (layers - 1) * (f2 - f1), p1 + (layers - 1) * (p2 - p1)
            avail = mem_available()
            timed = layers
            if avail is not None and n_params * 4 > args.memory_fraction * avail:
                timed = max(2, min(layers, int((args.memory_fraction * avail / 4 - (p1 - (p2 - p1))) // (p2 - p1))))
            model, inputs = build(key, timed, args.quick)
            timed_flops = f1 + (timed - 1) * (f2 - f1)
            row["layers"], row["layers_timed"] = layers, timed
        else:
            model, inputs = build(key, None, args.quick)
            flops = timed_flops = count_flops(model, inputs)
            n_params = params(model)
        row["gflop"], row["params"] = flops / 1e9, n_params
        scale = flops / timed_flops
        if scale != 1:
            print(f"{key}: {row['layers_timed']} of {row['layers']} layers fit in memory; times scaled by FLOPs ×{scale:.2f}", file=sys.stderr)
        for dtype in dtypes:
            try:
                model = model.to(torch.bfloat16 if dtype == "bf16" else torch.float32)  # in place: one copy of the weights
                ins = tuple(i.to(torch.bfloat16 if dtype == "bf16" else torch.float32) if i.is_floating_point() else i for i in inputs)
                r = time_stage(model, ins, timed_flops, cap, min_s, args.max_reps)
                if scale != 1:
                    for k in ("seconds", "lower_bound_seconds"):
                        if r.get(k) is not None:
                            r[k] *= scale
                    r["scaled_from_layers"] = row["layers_timed"]
                if r.get("seconds"):
                    r["gflops"] = flops / r["seconds"] / 1e9
                row["results"][dtype] = r
            except Exception as e:  # an unsupported dtype on this CPU is a result, not a crash
                row["results"][dtype] = {"error": f"{type(e).__name__}: {e}"}
            print(f"{key} {dtype}: {row['results'][dtype]}", file=sys.stderr)
        del model
        out["stages"].append(row)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
