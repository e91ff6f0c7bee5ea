"""The omnitoken transformer (seed 000, DESIGN §3), top to bottom:

separated first layer (each column -> its own block, plus a free block that sees every column)
-> causal pre-norm transformer decoder with rotary positions (the shared middle)
-> separated heads (each column's head reads its own block of the last layer and the free block).

Shapes: B batch, T new tokens, S cached tokens, H heads, D head_dim, d = sum of blocks.
Only plain ops (MatMul, Softmax, LayerNorm, Gather, Concat, Where) so the ONNX graph suits the
CPU and WebGPU providers.
"""
from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .config import FREE, ModelConfig
from .schema import Column

MASKED = -1e9  # attention score of a future key; finite so no row is ever NaN


# ---- positions --------------------------------------------------------------------------------

class Rotary(nn.Module):
    """Rotary embedding driven by the `position` input, so the runtime can slide its window
    (drop old cache entries, keep the command prefix) without re-encoding the cache."""

    def __init__(self, head_dim: int, base: float):
        super().__init__()
        inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)  # [D/2]

    def forward(self, position: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ang = position.to(torch.float32)[..., None] * self.inv_freq  # [B, T, D/2]
        ang = torch.cat([ang, ang], dim=-1)[:, None]  # [B, 1, T, D]
        return ang.cos(), ang.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, half: int) -> torch.Tensor:
    # `half` is the config's head_dim // 2, an int: read off x.shape it would be exported as shape
    # arithmetic (Shape, Gather, Div) run on every step.
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin  # [B, H, T, D]


# ---- the separated first layer ----------------------------------------------------------------

def _encoder(col: Column, width: int, bias: bool = True) -> nn.Module:
    if col.kind == "text":
        return nn.Embedding(col.vocab, width)
    return nn.Linear(col.width, width, bias=bias)


class SeparatedInput(nn.Module):
    """Column c's input reaches block c (and the free block) only. An absent column (present=0)
    contributes a learned "absent" vector instead of its encoding, to its block and to the free block."""

    def __init__(self, columns: list[Column], blocks: dict[str, int]):
        super().__init__()
        self.columns = columns
        nf = blocks[FREE]
        self.enc = nn.ModuleDict({c.name: _encoder(c, blocks[c.name]) for c in columns})
        self.absent = nn.ParameterDict({c.name: nn.Parameter(0.02 * torch.randn(blocks[c.name])) for c in columns})
        self.free_enc = nn.ModuleDict({c.name: _encoder(c, nf, bias=False) for c in columns})
        self.free_absent = nn.ParameterDict({c.name: nn.Parameter(0.02 * torch.randn(nf)) for c in columns})
        self.free_bias = nn.Parameter(torch.zeros(nf))
        for m in list(self.enc.values()) + list(self.free_enc.values()):
            if isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=0.5)

    def forward(self, inputs: dict[str, torch.Tensor], present: torch.Tensor,
                active: frozenset[str] | None = None) -> torch.Tensor:
        """inputs: by column name, [B, T] ids or [B, T, W]; present [B, T, C] -> [B, T, d].
        `active` (training only) names the columns that may be present; the others are known to be
        absent, so their encoders are not run and get no gradient at all."""
        blocks: list[torch.Tensor] = []
        free = self.free_bias
        for i, col in enumerate(self.columns):
            here = present[..., i:i + 1] > 0.5  # [B, T, 1]
            absent, free_absent = self.absent[col.name], self.free_absent[col.name]
            if active is not None and col.name not in active:
                blocks.append(absent.expand(*present.shape[:2], -1))
                free = free + free_absent
                continue
            x = inputs[col.name]
            # where(), not a product: an absent cell's content (zeros, stale data, NaN) never leaks.
            blocks.append(torch.where(here, self.enc[col.name](x), absent))  # [B, T, N_c]
            free = free + torch.where(here, self.free_enc[col.name](x), free_absent)  # [B, T, N_free]
        blocks.append(free.expand(*present.shape[:2], -1))
        return torch.cat(blocks, dim=-1)  # [B, T, d]


# ---- the shared middle ------------------------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.heads, self.head_dim = cfg.heads, cfg.head_dim
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, cos, sin, past_k, past_v, bias=None):
        d = self.heads * self.head_dim
        qkv = self.qkv(x)
        # Constant bounds: chunk(3) would be exported with its size computed from the shape.
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]  # 3 x [B, T, d]
        q, k, v = (split_heads(t, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v))  # [B, H, T, D]
        half = self.head_dim // 2
        q, k = rotate(q, cos, sin, half), rotate(k, cos, sin, half)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)  # [B, H, S+T, D]
            v = torch.cat([past_v, v], dim=2)
        if bias is None:
            bias = causal_bias(q.shape[2], k.shape[2] - q.shape[2], x)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # [B, H, T, S+T]
        att = att + bias
        att = self.drop(F.softmax(att, dim=-1))
        y = merge_heads((att @ v).transpose(1, 2))  # [B, T, d]
        return self.proj(y), k, v


class _ConstReshape(torch.autograd.Function):
    """A reshape exported with a constant target shape. ONNX's Reshape copies a 0 from the input's
    dimension, so [0, 0, H, -1] needs no shape arithmetic for the dynamic batch and token axes; traced
    from `x.reshape(b, t, H, D)` it would be Shape, Gather, Unsqueeze and Concat on every call, which
    a GPU provider runs on the host (docs/PERFORMANCE.md)."""

    @staticmethod
    def forward(ctx, x, shape):  # noqa: D102 — only reached while exporting
        return x.reshape([x.shape[i] if d == 0 else d for i, d in enumerate(shape)])

    @staticmethod
    def symbolic(g, x, shape):  # noqa: D102
        with warnings.catch_warnings():  # torch 1.13 calls g.op deprecated; it is the documented way
            warnings.simplefilter("ignore", FutureWarning)
            return g.op("Reshape", x, g.op("Constant", value_t=torch.tensor(list(shape), dtype=torch.int64)))


def split_heads(t: torch.Tensor, heads: int, head_dim: int) -> torch.Tensor:
    """[B, T, H*D] -> [B, T, H, D]."""
    if torch.onnx.is_in_onnx_export():
        return _ConstReshape.apply(t, (0, 0, heads, -1))  # -1: head_dim (torch 1.13 wants a -1 beside a 0)
    return t.unflatten(-1, (heads, head_dim))


def merge_heads(t: torch.Tensor) -> torch.Tensor:
    """[B, T, H, D] -> [B, T, H*D]."""
    if torch.onnx.is_in_onnx_export():
        return _ConstReshape.apply(t, (0, 0, -1))
    return t.flatten(-2)


def causal_bias(t_new: int, past: int, like: torch.Tensor) -> torch.Tensor:
    """[T, S+T] added to the attention scores: 0 where query i (token S+i) may see key j (j <= S+i;
    cache order is time order), MASKED where not. Made once per forward and shared by the layers:
    in the exported graph that is one mask for all layers instead of one each, which a GPU provider
    would otherwise build on the host and upload per layer (docs/PERFORMANCE.md)."""
    q_idx = torch.arange(t_new, device=like.device) + past  # [T]
    k_idx = torch.arange(past + t_new, device=like.device)  # [S+T]
    # float32 whatever `like` is: MASKED overflows half precision, and 0 * -inf would be NaN.
    return (k_idx[None, :] > q_idx[:, None]).to(torch.float32) * MASKED


class Block(nn.Module):
    """Pre-norm decoder block."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, cfg.mlp_ratio * d), nn.GELU(), nn.Linear(cfg.mlp_ratio * d, d),
                                 nn.Dropout(cfg.dropout))

    def forward(self, x, cos, sin, past_k=None, past_v=None, bias=None):
        a, k, v = self.attn(self.ln1(x), cos, sin, past_k, past_v, bias)
        x = x + a
        x = x + self.mlp(self.ln2(x))
        return x, k, v


# ---- separated heads --------------------------------------------------------------------------

class Head(nn.Module):
    """Reads only its column's block and the free block of the last layer, each normalised on its own
    (a LayerNorm over all of d would let every block's statistics into every head)."""

    def __init__(self, col: Column, own: int, free: int):
        super().__init__()
        self.norm, self.free_norm = nn.LayerNorm(own), nn.LayerNorm(free)
        self.out = nn.Linear(own + free, col.out_width)

    def forward(self, own: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([self.norm(own), self.free_norm(free)], dim=-1))  # raw: logits / pre-activation


class NamedHead(nn.Module):
    """Of each of k named objects: x, y in [0, 1] (the objects column's units), and which of the
    objects column's `classes` it is (logits)."""

    def __init__(self, own: int, free: int, k: int, classes: int):
        super().__init__()
        self.k, self.classes = k, classes
        self.norm, self.free_norm = nn.LayerNorm(own), nn.LayerNorm(free)
        self.out = nn.Linear(own + free, 2 * k)
        self.cls = nn.Linear(own + free, k * classes)

    def forward(self, own: torch.Tensor, free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.cat([self.norm(own), self.free_norm(free)], dim=-1)
        y = torch.sigmoid(self.out(h))
        return y.view(*y.shape[:-1], self.k, 2), self.cls(h).view(*h.shape[:-1], self.k, self.classes)


def activate(col: Column, raw: torch.Tensor, base: torch.Tensor | None = None, has: torch.Tensor | None = None,
             residual: float = 0.0) -> torch.Tensor:
    """The head's output as the ONNX graph gives it: text logits (softmax is the sampler's), pixels
    and every object field in [0,1] (sigmoid; object presence is a probability), action in [-1,1]
    (tanh: linear near 0, bounded to the card's normalised joint range).

    Residual action (`residual` > 0): where the input token has the action column (`has`), the
    prediction is that token's joints plus a bounded step, `clamp(base + residual * tanh(raw), -1, 1)`
    — the next joint state is learnt as a change, which per-tick steps of ~0.01 need; where the
    input has no joints (text tokens), it stays absolute, `tanh(raw)`."""
    if col.kind == "text":
        return raw
    if col.kind == "action":
        a = torch.tanh(raw)
        if residual > 0 and base is not None and has is not None:
            return torch.where(has, torch.clamp(base + residual * a, -1.0, 1.0), a)
        return a
    return torch.sigmoid(raw)


# ---- the model --------------------------------------------------------------------------------

class OmniModel(nn.Module):
    def __init__(self, columns: list[Column], cfg: ModelConfig):
        super().__init__()
        cfg.validate(columns)
        self.columns, self.cfg = columns, cfg
        self.input = SeparatedInput(columns, cfg.blocks)
        self.rotary = Rotary(cfg.head_dim, cfg.rope_base)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.slices: dict[str, tuple[int, int]] = {}
        at = 0
        for name in [c.name for c in columns] + [FREE]:
            self.slices[name] = (at, at + cfg.blocks[name])
            at += cfg.blocks[name]
        self.heads = nn.ModuleDict({c.name: Head(c, cfg.blocks[c.name], cfg.blocks[FREE]) for c in columns})
        # Training only (named.py): where the command's named objects are, read from the blocks the
        # action head reads, so the binding it learns is there for the action. Not exported.
        self.named_head = None
        act = next((c for c in columns if c.kind == "action"), None)
        objects = next((c for c in columns if c.kind == "objects"), None)
        if self.named > 0 and act is not None and objects is not None:
            self.named_head = NamedHead(cfg.blocks[act.name], cfg.blocks[FREE], self.named, objects.classes)
            self.named_head.apply(_init)
            self.named_from = act.name
        # The first layer keeps PyTorch's fan-in init: it keeps every block at a similar scale
        # whatever its column's width (7 joints or 3072 pixels).
        self.blocks.apply(_init)
        self.heads.apply(_init)

    @property
    def action_residual(self) -> float:
        """Max per-token step of a residual action head (cfg.extra["action_residual"]); 0: absolute."""
        return float(self.cfg.extra.get("action_residual", 0.0))

    @property
    def named(self) -> int:
        """Objects the training-only named-object head locates (cfg.extra["named"]); 0: no such head."""
        return int(self.cfg.extra.get("named", 0))

    def finish(self, col: Column, raw: torch.Tensor, inputs: dict[str, torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """`activate` with the context a residual action head needs (the input token's joints)."""
        if col.kind == "action" and self.action_residual > 0:
            i = self.columns.index(col)
            return activate(col, raw, inputs[col.name], present[..., i:i + 1] > 0.5, self.action_residual)
        return activate(col, raw)

    def block(self, h: torch.Tensor, name: str) -> torch.Tensor:
        a, b = self.slices[name]
        return h[..., a:b]

    def forward(self, inputs: dict[str, torch.Tensor], present: torch.Tensor, position: torch.Tensor,
                past: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
                active: frozenset[str] | None = None, heads: frozenset[str] | None = None, named: bool = False):
        """-> (raw head outputs by column name, [(key, value)] per layer, each [B, H, S+T, D]).
        `active`: columns that may be present (None: all); `heads`: columns whose head to run;
        `named`: also out["named"] [B, T, k, 2] and out["named_class"] [B, T, k, classes], the
        named-object head's (training only)."""
        x = self.input(inputs, present, active)  # [B, T, d]
        cos, sin = self.rotary(position)
        s = past[0][0].shape[2] if past is not None and past[0][0] is not None else 0
        bias = causal_bias(x.shape[1], s, x)
        presents = []
        for i, blk in enumerate(self.blocks):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = blk(x, cos, sin, pk, pv, bias)
            presents.append((k, v))
        free = self.block(x, FREE)
        out = {c.name: self.heads[c.name](self.block(x, c.name), free)
               for c in self.columns if heads is None or c.name in heads}
        if named and self.named_head is not None:
            out["named"], out["named_class"] = self.named_head(self.block(x, self.named_from), free)
        return out, presents


def _init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear) and m.weight.shape[1] > 0:
        nn.init.normal_(m.weight, std=min(0.02, 1.0 / math.sqrt(m.weight.shape[1])))
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
