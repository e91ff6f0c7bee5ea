"""Model size: the width of each column's block of the first layer, the free block, the middle."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .schema import Column

FREE = "free"  # the block that sees every column (seed 000: "free space for cross correlation")


class ConfigError(ValueError):
    """A size setting that cannot build a model."""


@dataclass
class ModelConfig:
    blocks: dict[str, int]  # column name -> block width, plus FREE; d_model is their sum
    layers: int = 4
    heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    rope_base: float = 10000.0
    context_length: int = 512  # longest sequence trained on; the card's context_length
    extra: dict = field(default_factory=dict)  # reserved for forward-compatible settings

    @property
    def d_model(self) -> int:
        return sum(self.blocks.values())

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    def validate(self, columns: list[Column]) -> None:
        names = [c.name for c in columns] + [FREE]
        missing = [n for n in names if n not in self.blocks]
        unknown = [n for n in self.blocks if n not in names]
        if missing or unknown:
            raise ConfigError(f"blocks: expected one width per column and {FREE!r} ({', '.join(names)}); "
                              f"missing {missing}, unknown {unknown}")
        for n, w in self.blocks.items():
            if not isinstance(w, int) or w < 1:
                raise ConfigError(f"blocks.{n}: expected a positive integer, got {w!r}")
        if self.d_model % self.heads:
            raise ConfigError(f"heads: d_model {self.d_model} (sum of blocks {self.blocks}) is not divisible by "
                              f"heads {self.heads}")
        if self.head_dim % 2:
            raise ConfigError(f"heads: head_dim {self.head_dim} must be even for rotary positions")
        if self.layers < 1 or self.context_length < 2:
            raise ConfigError(f"layers {self.layers} / context_length {self.context_length}: expected >= 1 / >= 2")

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        return ModelConfig(**d)


def default_blocks(columns: list[Column], mult: int = 4, lo: int = 32, hi: int = 64, free: int = 64,
                   overrides: dict[str, int] | None = None) -> dict[str, int]:
    """Seed 000: a column's block is a few times its width (mult x width), clamped to [lo, hi] so a
    3072-wide image does not make the model huge and a one-id text column still gets room."""
    blocks = {c.name: max(lo, min(hi, mult * c.width)) for c in columns}
    blocks[FREE] = free
    for k, v in (overrides or {}).items():
        if k not in blocks:
            raise ConfigError(f"--block {k}={v}: no such column (columns: {', '.join(blocks)})")
        blocks[k] = v
    return blocks
