"""The two training aids of the reference model: the named-object target (named.py) and the
step-normalised action loss (--action-loss step)."""
import json
import os
import unittest

import helpers
import numpy as np
import onnx
import torch

from omnimodel.data import Batcher, Dataset, windows_for
from omnimodel.losses import losses
from omnimodel.named import named_classes, named_targets
from omnimodel.train import main

CLASSES = ["red_block", "green_block", "blue_block", "yellow_block", "red_zone", "green_zone", "blue_zone",
           "yellow_zone", "other"]


def rows(*objs, k=4):
    """objects column of one token: (class index, x, y, score) per row, rest empty."""
    out = np.zeros((k, 1 + len(CLASSES) + 3 + 1), np.float32)
    for r, (cls, x, y, score) in enumerate(objs):
        out[r, 0], out[r, 1 + cls], out[r, -1] = 1, 1, score
        out[r, 1 + len(CLASSES):1 + len(CLASSES) + 2] = x, y
    return out.reshape(-1)


class NamedClasses(unittest.TestCase):
    def test_in_the_order_the_command_names_them(self):
        self.assertEqual(named_classes("push the red block to the green zone", CLASSES, 2), [0, 5])
        self.assertEqual(named_classes("into the blue zone, the yellow block", CLASSES, 2), [6, 3])
        self.assertEqual(named_classes("touch the blue block", CLASSES, 2), [2])

    def test_whole_words_only_and_at_most_k(self):
        self.assertEqual(named_classes("touch the reddish block", CLASSES, 2), [])
        self.assertEqual(named_classes("", CLASSES, 2), [])
        self.assertEqual(named_classes("push the red block to the green zone", CLASSES, 1), [0])


class NamedTargets(unittest.TestCase):
    def test_best_scored_matching_row_wins(self):
        # A ghost red block (score 0.4) and the real one (0.9) in another row; a blue distractor.
        tok = rows((2, 0.1, 0.2, 0.95), (0, 0.7, 0.3, 0.4), (0, 0.6, 0.8, 0.9))
        tgt, mask = named_targets(tok[None, None], np.ones((1, 1)), [[0]], 2, len(CLASSES), 3)
        np.testing.assert_allclose(tgt[0, 0, 0], [0.6, 0.8])
        np.testing.assert_array_equal(mask[0, 0], [1, 0])  # nothing named second

    def test_missed_detection_and_absent_column_are_masked(self):
        tok = rows((2, 0.1, 0.2, 0.95))
        tgt, mask = named_targets(np.stack([tok, tok])[None], np.array([[1.0, 0.0]]), [[0, 2]], 2, len(CLASSES), 3)
        np.testing.assert_array_equal(mask[0], [[0, 1], [0, 0]])  # red missed; token 1 has no objects
        np.testing.assert_allclose(tgt[0, 0, 1], [0.1, 0.2])
        self.assertEqual(float(np.abs(tgt[0, 1]).sum()), 0.0)

    def test_each_window_has_its_own_names(self):
        tok = rows((2, 0.1, 0.2, 0.95), (0, 0.6, 0.8, 0.9))
        tgt, mask = named_targets(np.stack([tok[None], tok[None]]), np.ones((2, 1)), [[0], [2, 0]], 2, len(CLASSES), 3)
        np.testing.assert_array_equal(mask[:, 0], [[1, 0], [1, 1]])
        np.testing.assert_allclose(tgt[0, 0, 0], [0.6, 0.8])
        np.testing.assert_allclose(tgt[1, 0], [[0.1, 0.2], [0.6, 0.8]])


class NamedClassTarget(unittest.TestCase):
    def test_class_target_from_the_commands_end_on(self):
        """The batch names the command's classes and marks the tokens from its SEP on."""
        ds = Dataset(helpers.dataset())
        ep = ds.split("train")[0]
        b = Batcher(ds, named=2)
        b.named_of = {e.id: [1] for e in ds.episodes}  # the synthetic commands name no card class
        batch = b(windows_for(ep, 64, None)[:1])
        self.assertEqual(batch["named_class"].tolist(), [[1, -1]])
        after = batch["after_command"][0]
        self.assertEqual(int(after[:ep.prefix - 1].sum()), 0)
        self.assertEqual(float(after[ep.prefix - 1]), 1.0)
        out = {"named": torch.zeros(1, after.shape[0], 2, 2), "named_class": torch.zeros(1, after.shape[0], 2, 6)}
        out["named_class"][..., 0, 1] = 5.0  # confident and right: a small loss
        ls = losses(helpers.COLUMNS, out, batch)
        self.assertLess(float(ls["named_class"]), 0.05)
        out["named_class"][..., 0, 1] = -5.0
        self.assertGreater(float(losses(helpers.COLUMNS, out, batch)["named_class"]), 1.0)


class StepLoss(unittest.TestCase):
    def setUp(self):
        self.ds = Dataset(helpers.dataset())
        self.ep = self.ds.split("train")[0]
        self.batch = Batcher(self.ds)(windows_for(self.ep, 64, None)[:1])

    def test_rms_step_matches_the_data(self):
        rms = self.ds.action_step_rms([self.ep])
        a = np.asarray(self.ds.read(self.ep, 0, self.ep.length)["action"], np.float64)
        has = np.asarray(self.ds.read(self.ep, 0, self.ep.length)["present"])[:, 3] > 0.5
        d = a[1:][has[1:] & has[:-1]] - a[:-1][has[1:] & has[:-1]]
        np.testing.assert_allclose(rms, np.sqrt((d ** 2).mean(0)).clip(min=1e-4), rtol=1e-6)

    def test_the_start_pose_guess_carries_no_loss(self):
        """The token before the first tick has no joints: its action output must not matter."""
        model = helpers.micro_model()
        scale = torch.tensor(self.ds.action_step_rms([self.ep]), dtype=torch.float32)
        out, _ = model(self.batch["inputs"], self.batch["present"], self.batch["position"])
        ai = 3
        has = self.batch["present"][0, :, ai] > 0.5
        first = int(torch.nonzero(~has[:-1] & has[1:])[0])  # the SEP token: no joints, the next has
        self.assertGreater(float(self.batch["tmask"][0, first, ai]), 0)  # ...whose next token has them
        raw = out["action"].detach().clone().requires_grad_(True)
        value = losses(model.columns, {"action": raw}, self.batch, model=model, action_scale=scale)["action"]
        value.backward()
        self.assertEqual(float(raw.grad[0, first].abs().sum()), 0.0)
        self.assertGreater(float(raw.grad[0, first + 1].abs().sum()), 0.0)
        plain = raw.detach().clone().requires_grad_(True)
        losses(model.columns, {"action": plain}, self.batch, model=model)["action"].backward()
        self.assertGreater(float(plain.grad[0, first].abs().sum()), 0.0)  # the value loss does train it


class TrainingWithBoth(unittest.TestCase):
    def test_run_and_export_keep_the_contract(self):
        out = helpers.tmpdir("named-step")
        main(["--data", helpers.dataset(), "--out", out, "--layers", "1", "--heads", "2", "--block-min", "8",
              "--block-max", "8", "--free-block", "8", "--mlp-ratio", "2", "--context", "40", "--batch-size", "4",
              "--threads", "1", "--quiet", "--steps", "4", "--action-loss", "step", "--named", "2",
              "--loss-weight", "named=5", "--val-every", "4"])
        graph = onnx.load(os.path.join(out, "model.onnx")).graph
        self.assertNotIn("named", " ".join(o.name for o in graph.output))
        with open(os.path.join(out, "card.json")) as f:
            card = json.load(f)
        self.assertEqual(card["training"]["action_loss"], "step")
        self.assertEqual(card["training"]["model_config"]["extra"]["named"], 2)


if __name__ == "__main__":
    unittest.main()
