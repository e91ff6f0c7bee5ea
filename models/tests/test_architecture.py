"""The architecture's properties (seed 000, DESIGN §3), each checked on the real model."""
import unittest

import helpers  # noqa: F401  (sets the import path)
import torch

from omnimodel.config import FREE, ConfigError, ModelConfig, default_blocks
from omnimodel.model import OmniModel

COLS = helpers.COLUMNS
CONT = [c for c in COLS if c.kind != "text"]


class SeparatedFirstLayer(unittest.TestCase):
    def test_no_column_reaches_another_columns_block(self):
        model = helpers.micro_model()
        x, present, _ = helpers.inputs(model, 2, 5, seed=1)
        present = torch.ones_like(present)
        for c in CONT:
            x[c.name].requires_grad_(True)
        h = model.input(x, present)  # [B, T, d]
        for c in COLS:
            block = model.block(h, c.name)
            grads = torch.autograd.grad(block.sum(), [x[d.name] for d in CONT] + [model.input.enc["text"].weight],
                                        retain_graph=True, allow_unused=True)
            for d, g in zip(CONT + [COLS[0]], grads):
                if d.name == c.name:
                    self.assertTrue(g is not None and g.abs().sum() > 0, f"block {c.name} must see its own column")
                else:
                    self.assertTrue(g is None or torch.equal(g, torch.zeros_like(g)),
                                    f"d block_{c.name} / d input_{d.name} must be exactly zero")

    def test_free_block_sees_every_column(self):
        model = helpers.micro_model()
        x, present, _ = helpers.inputs(model, 2, 5, seed=2)
        present = torch.ones_like(present)
        for c in CONT:
            x[c.name].requires_grad_(True)
        free = model.block(model.input(x, present), FREE)
        grads = torch.autograd.grad(free.sum(), [x[c.name] for c in CONT] + [model.input.free_enc["text"].weight])
        for c, g in zip(CONT + [COLS[0]], grads):
            self.assertGreater(float(g.abs().sum()), 0, f"the free block must see {c.name}")

    def test_changing_a_column_changes_only_its_block_and_the_free_block(self):
        model = helpers.micro_model()
        x, present, _ = helpers.inputs(model, 1, 4, seed=3)
        base = model.input(x, present)
        for i, c in enumerate(COLS):
            x2 = dict(x)
            x2[c.name] = (x[c.name] + 7) % 260 if c.kind == "text" else torch.rand_like(x[c.name])
            p2 = present.clone()
            p2[..., i] = 1 - p2[..., i]  # its presence flag too
            h = model.input(x2, p2)
            for d in [d.name for d in COLS if d.name != c.name]:
                self.assertTrue(torch.equal(model.block(h, d), model.block(base, d)), f"{c.name} leaked into {d}")
            self.assertFalse(torch.equal(model.block(h, c.name), model.block(base, c.name)))
            self.assertFalse(torch.equal(model.block(h, FREE), model.block(base, FREE)))


class SeparatedHeads(unittest.TestCase):
    def test_each_head_reads_only_its_block_and_the_free_block(self):
        model = helpers.micro_model()
        x, present, pos = helpers.inputs(model, 1, 4, seed=4)
        last = {}
        model.blocks[-1].register_forward_hook(lambda m, i, o: last.update(h=o[0]))
        out, _ = model(x, present, pos)
        h = last["h"]  # the last layer's output, [B, T, d]
        for c in COLS:
            (g,) = torch.autograd.grad(out[c.name].sum(), h, retain_graph=True)
            for name, (a, b) in model.slices.items():
                part = g[..., a:b]
                if name in (c.name, FREE):
                    self.assertGreater(float(part.abs().sum()), 0, f"head {c.name} must read block {name}")
                else:
                    self.assertTrue(torch.equal(part, torch.zeros_like(part)), f"head {c.name} read block {name}")

    def test_output_ranges(self):
        from omnimodel.export import OnnxGraph, example_inputs
        model = helpers.micro_model()
        with torch.no_grad():
            res = OnnxGraph(model)(*example_inputs(model, 2, 6, 0, seed=5))
        text, pixels, objects, action = res[:4]
        self.assertEqual(text.shape[-1], 260)
        for t in (pixels, objects):
            self.assertTrue(((t >= 0) & (t <= 1)).all())
        self.assertTrue(((action >= -1) & (action <= 1)).all())


class Sequence(unittest.TestCase):
    def test_causal(self):
        model = helpers.micro_model()
        x, present, pos = helpers.inputs(model, 1, 8, seed=6)
        out, _ = model(x, present, pos)
        x2 = {k: v.clone() for k, v in x.items()}
        x2["pixels"][:, 5:] = torch.rand_like(x2["pixels"][:, 5:])
        x2["text"][:, 5:] = 3
        out2, _ = model(x2, present, pos)
        for k in out:
            self.assertTrue(torch.equal(out[k][:, :5], out2[k][:, :5]), f"{k}: a future token changed the past")
            self.assertFalse(torch.equal(out[k][:, 5:], out2[k][:, 5:]))

    def test_cache_gives_the_full_sequence_result(self):
        model = helpers.micro_model()
        x, present, pos = helpers.inputs(model, 2, 9, seed=7)
        full, _ = model(x, present, pos)
        past, outs = None, []
        for a, b in ((0, 4), (4, 5), (5, 6), (6, 9)):  # prefill, two single steps, a 3-token step
            sl = lambda t: t[:, a:b]  # noqa: E731
            o, past = model({k: sl(v) for k, v in x.items()}, sl(present), sl(pos), past)
            outs.append(o)
        for k in full:
            inc = torch.cat([o[k] for o in outs], dim=1)
            torch.testing.assert_close(inc, full[k], atol=1e-5, rtol=1e-5)
        self.assertEqual(past[0][0].shape, (2, model.cfg.heads, 9, model.cfg.head_dim))

    def test_rotary_positions_are_relative(self):
        """Shifting every position by a constant changes nothing (up to rounding): the runtime may slide
        its window and keep feeding true positions."""
        model = helpers.micro_model()
        x, present, pos = helpers.inputs(model, 1, 6, seed=8)
        a, _ = model(x, present, pos)
        b, _ = model(x, present, pos + 300)
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=2e-4, rtol=1e-4)


class Absent(unittest.TestCase):
    def test_an_absent_columns_content_does_not_matter(self):
        model = helpers.micro_model()
        x, present, pos = helpers.inputs(model, 1, 5, seed=9)
        for i, c in enumerate(COLS):
            p = present.clone()
            p[..., i] = 0
            a, _ = model(x, p, pos)
            x2 = dict(x)
            x2[c.name] = (x[c.name] + 11) % 260 if c.kind == "text" else torch.full_like(x[c.name], float("nan"))
            b, _ = model(x2, p, pos)
            for k in a:
                self.assertTrue(torch.equal(a[k], b[k]), f"absent {c.name} leaked into {k}")

    def test_absent_uses_the_learned_absent_vector(self):
        model = helpers.micro_model()
        x, present, _ = helpers.inputs(model, 1, 3, seed=10)
        present[..., 1] = 0  # pixels absent everywhere
        h = model.input(x, present)
        torch.testing.assert_close(model.block(h, "pixels"), model.input.absent["pixels"].expand(1, 3, -1))


class Config(unittest.TestCase):
    def test_blocks_are_a_few_times_the_column_width_clamped(self):
        b = default_blocks(COLS, mult=4, lo=8, hi=32, free=16)
        self.assertEqual(b, {"text": 8, "pixels": 32, "objects": 32, "action": 12, "free": 16})

    def test_bad_sizes_name_the_setting(self):
        cfg = ModelConfig(blocks={"text": 8, "pixels": 8, "objects": 8, "action": 8, "free": 7}, heads=2)
        with self.assertRaisesRegex(ConfigError, r"heads: d_model 39 .* not divisible by heads 2"):
            OmniModel(COLS, cfg)
        with self.assertRaisesRegex(ConfigError, r"missing \['free'\]"):
            OmniModel(COLS, ModelConfig(blocks={"text": 8, "pixels": 8, "objects": 8, "action": 8}))
        with self.assertRaisesRegex(ConfigError, r"--block lidar=8: no such column"):
            default_blocks(COLS, overrides={"lidar": 8})


if __name__ == "__main__":
    unittest.main()


class ResidualActionHead(unittest.TestCase):
    """`--action-residual S`: the next joints = this token's joints + a step bounded by S, clamped to
    the limits; absolute (tanh) where the token has no joints."""

    def test_residual_output_is_a_bounded_step_from_the_input_joints(self):
        model = helpers.micro_model()
        model.cfg.extra["action_residual"] = 0.25
        x, present, position = helpers.inputs(model, 2, 6, seed=4)
        out, _ = model(x, present, position)
        act = next(c for c in COLS if c.kind == "action")
        i = COLS.index(act)
        y = model.finish(act, out[act.name], x, present)  # [B, T, A]
        has = present[..., i] > 0.5
        step = y[has] - x[act.name][has]
        inside = (y[has].abs() < 1.0)  # where the clamp did not bite
        self.assertTrue(bool((step[inside].abs() <= 0.25 + 1e-6).all()), "a step is bounded by S")
        self.assertTrue(torch.allclose(y[~has], torch.tanh(out[act.name][~has])), "no joints in: absolute")
        self.assertTrue(bool((y.abs() <= 1.0).all()))

    def test_without_the_setting_the_head_is_absolute(self):
        model = helpers.micro_model()
        x, present, position = helpers.inputs(model, 1, 4, seed=5)
        out, _ = model(x, present, position)
        act = next(c for c in COLS if c.kind == "action")
        self.assertTrue(torch.equal(model.finish(act, out[act.name], x, present), torch.tanh(out[act.name])))
