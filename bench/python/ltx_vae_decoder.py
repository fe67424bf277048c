"""diffusers' LTXVideoDecoder3d (diffusers 0.33.1, autoencoder_kl_ltx.py) for the LTX-Video 0.9.5 VAE config, in plain
torch.nn: the `ltx_vae` stage of torch_stages.py. Exact, not only the same shapes: its parameter names are diffusers'
(without "decoder."), so a checkpoint's state dict loads as is, and check_ltx_vae compares it with a fixture's golden.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def channel_rms(x, eps=1e-8):
    """RMSNorm over the channels (dim 1) without affine, as the VAE's norm1/norm2/norm_out."""
    return x * torch.rsqrt(x.float().pow(2).mean(1, keepdim=True) + eps).to(x.dtype)


def timestep_features(t, dim=256, max_period=10000):
    """diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0): cosines first."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimeEmbedder(nn.Module):
    """PixArtAlphaCombinedTimestepSizeEmbeddings(dim, 0) as the decoder builds it: 256 features → linear, SiLU, linear."""

    def __init__(self, dim):
        super().__init__()
        self.timestep_embedder = nn.ModuleDict({"linear_1": nn.Linear(256, dim), "linear_2": nn.Linear(dim, dim)})

    def forward(self, t, dtype):
        e = self.timestep_embedder
        return e["linear_2"](F.silu(e["linear_1"](timestep_features(t).to(dtype))))


class VaeConv3d(nn.Module):
    """LTXVideoCausalConv3d as the decoder uses it (not causal): the edge frames repeated (k−1)/2 times, zero padding in H and W."""

    def __init__(self, cin, cout, k=3):
        super().__init__()
        self.pad = (k - 1) // 2
        self.conv = nn.Conv3d(cin, cout, k, padding=(0, k // 2, k // 2))

    def forward(self, x):
        if self.pad:
            p = self.pad
            x = torch.cat([x[:, :, :1]] * p + [x] + [x[:, :, -1:]] * p, dim=2)
        return self.conv(x)


def modulation(table, temb, k):
    """(table + temb) split into k per-channel vectors shaped to broadcast over (B, C, F, H, W)."""
    b = temb.shape[0]
    mod = table[None] + temb.view(b, k, -1)
    return [m[:, :, None, None, None] for m in mod.unbind(1)]


class VaeResnet(nn.Module):
    """LTXVideoResnetBlock3d at one width, timestep-conditioned: norm → ·(1 + scale) + shift → SiLU → conv, twice, plus the input."""

    def __init__(self, ch):
        super().__init__()
        self.conv1, self.conv2 = VaeConv3d(ch, ch), VaeConv3d(ch, ch)
        self.scale_shift_table = nn.Parameter(torch.randn(4, ch) / ch ** 0.5)

    def forward(self, x, temb):
        shift1, scale1, shift2, scale2 = modulation(self.scale_shift_table, temb, 4)
        h = self.conv1(F.silu(channel_rms(x) * (1 + scale1) + shift1))
        h = self.conv2(F.silu(channel_rms(h) * (1 + scale2) + shift2))
        return x + h


def depth_to_space(x, st, sh, sw, width_first=False):
    """(B, C·st·sh·sw, F, H, W) → (B, C, F·st, H·sh, W·sw): channel c·st·sh·sw + (i·sh + j)·sw + k goes to offset (i, j, k)
    of c's block; `width_first` swaps the roles of the two spatial factors (the VAE's unpatchify reads them that way)."""
    b, c, f, h, w = x.shape
    x = x.reshape(b, c // (st * sh * sw), st, sh, sw, f, h, w)
    x = x.permute(0, 1, 5, 2, 6, 4, 7, 3) if width_first else x.permute(0, 1, 5, 2, 6, 3, 7, 4)
    return x.reshape(b, c // (st * sh * sw), f * st, h * sh, w * sw)


class VaeUpsampler(nn.Module):
    """LTXVideoUpsampler3d, stride (2, 2, 2): conv to C·8/factor channels, depth-to-space, the first frame dropped, plus the residual."""

    def __init__(self, ch, factor):
        super().__init__()
        self.factor = factor
        self.conv = VaeConv3d(ch, ch * 8 // factor)

    def forward(self, x):
        r = depth_to_space(x, 2, 2, 2).repeat(1, 8 // self.factor, 1, 1, 1)[:, :, 1:]
        return depth_to_space(self.conv(x), 2, 2, 2)[:, :, 1:] + r


class VaeBlock(nn.Module):
    """LTXVideoMidBlock3d (no upsampler) or an LTXVideoUpBlock3d of the 0.9.5 decoder: the block's own time embedding of the
    scaled timestep, the residual upsampler from `ch_in` channels if any, then `layers` resnets at `ch` channels."""

    def __init__(self, ch, layers, ch_in=None, factor=2):
        super().__init__()
        self.time_embedder = TimeEmbedder(4 * ch)
        if ch_in is not None:
            self.upsamplers = nn.ModuleList([VaeUpsampler(ch_in, factor)])
        self.resnets = nn.ModuleList(VaeResnet(ch) for _ in range(layers))

    def forward(self, x, t):
        temb = self.time_embedder(t, x.dtype)
        if hasattr(self, "upsamplers"):
            x = self.upsamplers[0](x)
        for r in self.resnets:
            x = r(x, temb)
        return x


class LtxVaeDecoder(nn.Module):
    """LTXVideoDecoder3d with the 0.9.5 config: conv_in, a conditioned mid block, three residual depth-to-space
    up blocks (upsample_factor 2), conditioned RMS norm_out, SiLU, conv_out and the 4×4 unpatchify. `channels` and
    `layers` are decoder_block_out_channels and decoder_layers_per_block in config order. Parameter names are
    diffusers' (without "decoder."), so a checkpoint's state dict loads as is (check_ltx_vae)."""

    def __init__(self, latent=128, channels=(256, 512, 1024), layers=(5, 5, 5, 5), factor=2, out=3, patch=4):
        super().__init__()
        rev, layers = list(reversed(channels)), list(reversed(layers))  # config order, read back to front as diffusers does
        self.patch = patch
        self.conv_in = VaeConv3d(latent, rev[0])
        self.mid_block = VaeBlock(rev[0], layers[0])
        ups, width = [], rev[0]
        for i, ch in enumerate(rev):
            # LTXVideoDecoder3d: the block's widths are divided by its upsample factor; the upsampler runs on width channels.
            ups.append(VaeBlock(ch // factor, layers[i + 1], ch_in=width, factor=factor))
            width = ch // factor
        self.up_blocks = nn.ModuleList(ups)
        self.time_embedder = TimeEmbedder(2 * width)
        self.scale_shift_table = nn.Parameter(torch.randn(2, width) / width ** 0.5)
        self.conv_out = VaeConv3d(width, out * patch * patch)
        self.timestep_scale_multiplier = nn.Parameter(torch.tensor(1000.0))

    def forward(self, z, timestep):
        t = timestep * self.timestep_scale_multiplier
        x = self.mid_block(self.conv_in(z), t)
        for up in self.up_blocks:
            x = up(x, t)
        shift, scale = modulation(self.scale_shift_table, self.time_embedder(t, x.dtype), 2)
        x = self.conv_out(F.silu(channel_rms(x) * (1 + scale) + shift))
        # Unpatchify: each latent position's out·p·p channels become a p×p pixel patch of `out` channels.
        return depth_to_space(x, 1, self.patch, self.patch, width_first=True)


def read_safetensors(path):
    """name → float32 tensor of a safetensors file (numpy only: Debian's torch comes without the safetensors package)."""
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    out = {}
    for name, info in json.loads(raw[8:8 + n]).items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}; only F32 tensors are read")
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=8 + n + a).copy()).reshape(info["shape"])
    return out


def check_ltx_vae(fixture):
    """The decoder with the weights and config of a diffusers AutoencoderKLLTXVideo (0.9.5-style) against that
    fixture's vae_decode golden (diffusers' own output): the largest absolute difference per output."""
    with open(os.path.join(fixture, "checkpoint", "vae", "config.json")) as f:
        cfg = json.load(f)
    needed = {"timestep_conditioning": True, "decoder_causal": False, "patch_size_t": 1}
    for key, value in needed.items():
        if cfg.get(key) != value:
            raise ValueError(f"{fixture}: the VAE config has {key}={cfg.get(key)}; this decoder is written for {value}")
    if set(cfg["upsample_residual"]) != {True} or len(set(cfg["upsample_factor"])) != 1 or any(cfg["decoder_inject_noise"]):
        raise ValueError(f"{fixture}: not a 0.9.5-style decoder (residual upsamplers, one upsample_factor, no injected noise)")
    model = LtxVaeDecoder(latent=cfg["latent_channels"], channels=cfg["decoder_block_out_channels"], layers=cfg["decoder_layers_per_block"],
                          factor=cfg["upsample_factor"][0], out=cfg["out_channels"], patch=cfg["patch_size"]).eval()
    weights = read_safetensors(os.path.join(fixture, "checkpoint", "vae", "diffusion_pytorch_model.safetensors"))
    model.load_state_dict({k[len("decoder."):]: v for k, v in weights.items() if k.startswith("decoder.")}, strict=True)
    golden = read_safetensors(os.path.join(fixture, "golden", "vae_decode.safetensors"))
    out = {}
    with torch.no_grad():
        for name, timestep in (("sample", golden["decode_timestep"]), ("sample_timestep_zero", torch.zeros_like(golden["decode_timestep"]))):
            ref = golden[name]
            out[name] = {"max_abs_diff": (model(golden["z"], timestep) - ref).abs().max().item(), "max_abs": ref.abs().max().item()}
    return out
