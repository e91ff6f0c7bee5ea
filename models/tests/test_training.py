"""Short real training runs on a small synthetic dataset in the CONVENTIONS layout: losses fall,
single-modality phases train only their column's path, checkpoints resume exactly."""
import json
import os
import unittest

import helpers
import torch

from omnimodel import checkpoint as ckpt
from omnimodel.cli import TrainError
from omnimodel.report import read_metrics
from omnimodel.train import main

SMALL = ["--layers", "2", "--heads", "2", "--block-min", "8", "--block-max", "8", "--free-block", "8",
         "--mlp-ratio", "2", "--context", "40", "--batch-size", "8", "--threads", "1", "--quiet"]


def train(out: str, *extra: str) -> None:
    main(["--data", helpers.dataset(), "--out", out, *SMALL, *extra])


class ShortRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = helpers.tmpdir("short-run")
        train(cls.out, "--steps", "60", "--lr", "3e-3", "--warmup", "5", "--log-every", "10", "--val-every", "30",
              "--name", "micro-trained")
        cls.rows = read_metrics(os.path.join(cls.out, "metrics.jsonl"))

    def test_every_columns_loss_falls(self):
        val = [r for r in self.rows if r["split"] == "val"]
        self.assertEqual([r["step"] for r in val], [0, 30, 60])
        first, last = val[0]["losses"], val[-1]["losses"]
        self.assertEqual(set(first), {"text", "pixels", "objects", "action"})
        for col in first:
            self.assertLess(last[col], 0.8 * first[col], f"{col} val loss {first[col]:.4f} -> {last[col]:.4f}")

    def test_run_folder(self):
        for f in ("checkpoint.pt", "metrics.jsonl", "loss.png", "report.json", "REPORT.md", "model.onnx",
                  "card.json", "parity.json"):
            self.assertTrue(os.path.exists(os.path.join(self.out, f)), f)
        with open(os.path.join(self.out, "loss.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(self.out, "report.json")) as f:
            report = json.load(f)
        self.assertEqual(report["training"]["steps"], 60)
        self.assertTrue(report["command"].startswith("/usr/bin/python3 models/train.py --data "))
        self.assertEqual(set(report["final"]["val"]), {"text", "pixels", "objects", "action"})
        with open(os.path.join(self.out, "card.json")) as f:
            card = json.load(f)
        self.assertEqual(card["name"], "micro-trained")
        self.assertEqual(card["kv_cache"], {"layers": 2, "heads": 2, "head_dim": 20, "dtype": "float32"})
        self.assertEqual(card["context_length"], 40)
        self.assertEqual(card["training"]["steps"], 60)
        self.assertAlmostEqual(card["metrics"]["val_loss_action"], report["final"]["val"]["action"])


class SingleModality(unittest.TestCase):
    def test_a_phase_trains_only_its_columns_path(self):
        out = helpers.tmpdir("single")
        train(out, "--phases", "action:25", "--lr", "3e-3", "--warmup", "2", "--log-every", "5", "--no-export")
        trained = ckpt.model_from(ckpt.load(os.path.join(out, ckpt.FILE)))
        torch.manual_seed(0)  # the run's seed: the same initial weights
        initial = type(trained)(trained.columns, trained.cfg)
        init = dict(initial.named_parameters())
        for name, p in trained.named_parameters():
            path = [k for k in ("enc.", "free_enc.", "heads.") if k in name]
            if not path:
                continue  # the shared middle, the absent vectors
            column = name.split(path[0])[1].split(".")[0]
            same = torch.equal(p, init[name])
            if column == "action":
                self.assertFalse(same, f"{name} should have trained")
            else:
                self.assertTrue(same, f"{name} changed in an action-only phase")
        train_rows = [r for r in read_metrics(os.path.join(out, "metrics.jsonl")) if r["split"] == "train"]
        self.assertEqual({k for r in train_rows for k in r["losses"]}, {"action"})
        self.assertLess(train_rows[-1]["losses"]["action"], 0.7 * train_rows[0]["losses"]["action"])


class Resume(unittest.TestCase):
    def test_resumed_run_equals_uninterrupted_run(self):
        a, b = helpers.tmpdir("straight"), helpers.tmpdir("interrupted")
        common = ["--phases", "pixels:6,all:10", "--log-every", "4", "--val-every", "8", "--no-export"]
        train(a, *common)
        train(b, *common, "--stop-at", "9")
        self.assertEqual(ckpt.load(os.path.join(b, ckpt.FILE))["step"], 9)
        train(b, *common, "--resume")
        sa, sb = (ckpt.load(os.path.join(d, ckpt.FILE)) for d in (a, b))
        self.assertEqual(sb["step"], 16)
        for k in sa["model"]:
            self.assertTrue(torch.equal(sa["model"][k], sb["model"][k]), k)
        ra, rb = (read_metrics(os.path.join(d, "metrics.jsonl")) for d in (a, b))
        # Validation rows match exactly; a train row averages the steps since the last log line, and
        # the interrupted run's step 9 was trained but not logged before the stop.
        val = lambda rows: [(r["step"], r["losses"]) for r in rows if r["split"] == "val"]  # noqa: E731
        self.assertEqual(val(ra), val(rb))
        self.assertEqual([r["step"] for r in ra], [r["step"] for r in rb])

    def test_existing_run_needs_resume(self):
        out = helpers.tmpdir("twice")
        train(out, "--steps", "2", "--no-export")
        with self.assertRaisesRegex(TrainError, r"checkpoint.pt exists: pass --resume to continue that run"):
            train(out, "--steps", "2", "--no-export")
        with self.assertRaisesRegex(TrainError, r"the model differs from the checkpoint's:\n  layers: checkpoint has 2, "
                                                r"this command asks 3"):
            main(["--data", helpers.dataset(), "--out", out, *SMALL, "--layers", "3", "--resume"])


class Init(unittest.TestCase):
    def test_init_starts_from_another_runs_weights(self):
        base, tuned = helpers.tmpdir("init-base"), helpers.tmpdir("init-tuned")
        train(base, "--steps", "6", "--no-export")
        # Zero steps of fine-tuning: the weights are the base run's, exactly; the run is a new one.
        train(tuned, "--steps", "1", "--lr", "0", "--warmup", "1", "--no-export", "--init", os.path.join(base, ckpt.FILE))
        sa, sb = (ckpt.load(os.path.join(d, ckpt.FILE)) for d in (base, tuned))
        self.assertEqual(sb["step"], 1)
        for k in sa["model"]:
            self.assertTrue(torch.equal(sa["model"][k], sb["model"][k]), k)
        with self.assertRaisesRegex(TrainError, r"--init .*: the model differs from the checkpoint's:\n  layers"):
            main(["--data", helpers.dataset(), "--out", helpers.tmpdir("init-bad"), *SMALL, "--layers", "3",
                  "--init", os.path.join(base, ckpt.FILE)])
        with self.assertRaisesRegex(TrainError, r"--init .*: no such checkpoint"):
            train(helpers.tmpdir("init-missing"), "--init", os.path.join(base, "nope.pt"))


    def test_init_from_an_exported_models_card(self):
        # A shipped model keeps only model.onnx and card.json: its weights are read back from the ONNX
        # initializers (some stored transposed under MatMul names); the training-only named head starts fresh.
        base, tuned = helpers.tmpdir("init-onnx-base"), helpers.tmpdir("init-onnx-tuned")
        train(base, "--steps", "6", "--named", "2")
        train(tuned, "--steps", "1", "--lr", "0", "--warmup", "1", "--no-export", "--named", "2",
              "--init", os.path.join(base, "card.json"))
        sa, sb = (ckpt.load(os.path.join(d, ckpt.FILE)) for d in (base, tuned))
        named = [k for k in sa["model"] if k.startswith("named_head.")]
        self.assertTrue(named)
        for k in sa["model"]:
            if k not in named:
                self.assertTrue(torch.equal(sa["model"][k], sb["model"][k]), k)
        self.assertFalse(all(torch.equal(sa["model"][k], sb["model"][k]) for k in named))
        with self.assertRaisesRegex(TrainError, r"--init .*: the model differs from the checkpoint's:\n  layers"):
            main(["--data", helpers.dataset(), "--out", helpers.tmpdir("init-onnx-bad"), *SMALL, "--named", "2",
                  "--layers", "3", "--init", os.path.join(base, "card.json")])

    def test_only_heads_trains_that_head_alone(self):
        # Fine-tuning one column's head (the text head: when the model says "done") must leave every
        # other weight, so every other column's output, exactly as it was: weight decay included.
        base, tuned = helpers.tmpdir("heads-base"), helpers.tmpdir("heads-tuned")
        train(base, "--steps", "6", "--no-export")
        train(tuned, "--steps", "8", "--lr", "3e-3", "--warmup", "1", "--no-export", "--only-heads", "text",
              "--init", os.path.join(base, ckpt.FILE))
        sa, sb = (ckpt.load(os.path.join(d, ckpt.FILE)) for d in (base, tuned))
        head = [k for k in sa["model"] if k.startswith("heads.text.")]
        self.assertTrue(head)
        for k in sa["model"]:
            if k not in head:
                self.assertTrue(torch.equal(sa["model"][k], sb["model"][k]), k)
        self.assertFalse(torch.equal(sa["model"]["heads.text.out.weight"], sb["model"]["heads.text.out.weight"]))
        with self.assertRaisesRegex(TrainError, r"--only-heads 'lidar': no column lidar \(columns: text, pixels"):
            train(helpers.tmpdir("heads-bad"), "--only-heads", "lidar", "--init", os.path.join(base, ckpt.FILE))
        with self.assertRaisesRegex(TrainError, r"--only-heads text: the rest of the model would stay random; give --init"):
            train(helpers.tmpdir("heads-noinit"), "--only-heads", "text")


class CommandLine(unittest.TestCase):
    def test_errors_name_the_option(self):
        out = helpers.tmpdir("bad-args")
        with self.assertRaisesRegex(TrainError, r"--phases 'lidar:10': no column lidar \(columns: text, pixels"):
            train(out, "--phases", "lidar:10")
        with self.assertRaisesRegex(TrainError, r"'all': expected COLS:STEPS"):
            train(out, "--phases", "all")
        with self.assertRaisesRegex(TrainError, r"--loss-weight pixels: expected NAME=VALUE"):
            train(out, "--loss-weight", "pixels")


if __name__ == "__main__":
    unittest.main()
