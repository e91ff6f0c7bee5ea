"""The omnitoken schema as the model sees it: the card's columns, their widths and ONNX names.

Mirrors src/omnitoken/card-types.ts and card.ts (inputName/outputName, objectLayout); the card
itself is validated by the TypeScript validator, here we only check what the model relies on.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("text", "pixels", "objects", "action")
# ONNX contract v1: one input and one output per column kind.
INPUT_NAMES = {"text": "text_ids", "pixels": "pixels", "objects": "objects", "action": "action"}
OUTPUT_NAMES = {"text": "text_logits", "pixels": "pixels_out", "objects": "objects_out", "action": "action_out"}


class SchemaError(ValueError):
    """The card (or dataset index) does not describe columns this model can be built for."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of KINDS
    width: int  # input width: 1 for text (one id), else floats per omnitoken
    vocab: int = 0  # text only: output width (softmax over the vocabulary)
    # objects only: row layout [present, classes..., coords..., score]
    max_objects: int = 0
    classes: int = 0
    coords: int = 0

    @property
    def input_name(self) -> str:
        return INPUT_NAMES[self.kind]

    @property
    def output_name(self) -> str:
        return OUTPUT_NAMES[self.kind]

    @property
    def out_width(self) -> int:
        return self.vocab if self.kind == "text" else self.width

    @property
    def row_width(self) -> int:
        return 1 + self.classes + self.coords + 1


def columns_from_card(card: dict, source: str = "<card>") -> list[Column]:
    """The card's columns in card order; raises SchemaError naming the field on a mismatch."""
    cols = card.get("columns")
    if not isinstance(cols, list) or not cols:
        raise SchemaError(f"{source}: columns: expected a non-empty list, got {cols!r}")
    tok = card.get("tokenizer") or {}
    out: list[Column] = []
    seen: set[str] = set()
    for i, c in enumerate(cols):
        at = f"{source}: columns[{i}]"
        kind, name, width = c.get("kind"), c.get("name"), c.get("width")
        if kind not in KINDS:
            raise SchemaError(f"{at}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        if kind in seen:
            raise SchemaError(f"{at}.kind: a second {kind!r} column; contract v1 has one input per kind")
        seen.add(kind)
        if not isinstance(width, int) or width < 1:
            raise SchemaError(f"{at}.width: expected a positive integer, got {width!r}")
        if kind == "text":
            vocab = tok.get("vocab_size")
            if not isinstance(vocab, int) or vocab < 260:
                raise SchemaError(f"{source}: tokenizer.vocab_size: expected an integer >= 260, got {vocab!r}")
            out.append(Column(name, kind, 1, vocab=vocab))
        elif kind == "objects":
            o = c.get("objects") or {}
            k, ncls, ncoord = o.get("max_objects"), len(o.get("classes") or []), len(o.get("coords") or [])
            if not isinstance(k, int) or k < 1 or width != k * (1 + ncls + ncoord + 1):
                raise SchemaError(
                    f"{at}.width: expected max_objects {k} x (1 + {ncls} classes + {ncoord} coords + 1), got {width}")
            out.append(Column(name, kind, width, max_objects=k, classes=ncls, coords=ncoord))
        else:
            out.append(Column(name, kind, width))
    return out


def special_ids(card: dict) -> dict[str, int]:
    """PAD/BOS/EOS/SEP ids of the card's byte tokenizer."""
    sp = (card.get("tokenizer") or {}).get("special") or {}
    return {k: int(sp.get(k, d)) for k, d in (("PAD", 256), ("BOS", 257), ("EOS", 258), ("SEP", 259))}
