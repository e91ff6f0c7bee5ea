"""Reading the CONVENTIONS dataset layout and cutting it into windows and next-token targets."""
import json
import os
import shutil
import unittest

import helpers
import numpy as np

from omnimodel.data import (Batcher, Dataset, DatasetError, Episode, Window, fail_keep_tokens, select_episodes,
                            windows_for)

PAD, BOS, SEP, EOS = 256, 257, 259, 258


def edit_index(d: str, change) -> None:
    p = os.path.join(d, "index.json")
    with open(p, encoding="utf-8") as f:
        idx = json.load(f)
    change(idx)
    with open(p, "w", encoding="utf-8") as f:
        json.dump(idx, f)


class Layout(unittest.TestCase):
    def test_reads_the_synthetic_export(self):
        ds = Dataset(helpers.dataset())
        self.assertEqual([c.name for c in ds.columns], ["text", "pixels", "objects", "action"])
        self.assertGreater(len(ds.shards), 1)
        self.assertTrue(ds.split("val") and ds.split("train"))
        ep = ds.episodes[0]
        command = ds.index["episodes"][0]["command"]
        self.assertEqual(ep.prefix, len(command.encode()) + 2)  # BOS, the bytes, SEP
        toks = ds.read(ep, 0, ep.prefix)["text_ids"]
        self.assertEqual((toks[0], toks[-1]), (BOS, SEP))
        tail = ds.read(ep, ep.length - 5, ep.length)["text_ids"]
        self.assertEqual(bytes(tail[:4].tolist()), b"done")
        self.assertEqual(tail[-1], EOS)

    def _copy(self, name: str) -> str:
        d = helpers.tmpdir(name)
        shutil.rmtree(d)
        shutil.copytree(helpers.dataset(), d)
        return d

    def test_missing_index(self):
        d = helpers.tmpdir("empty")
        with self.assertRaisesRegex(DatasetError, r"empty/index.json: no such file; expected a dataset folder"):
            Dataset(d)

    def test_wrong_array_shape_names_the_file(self):
        d = self._copy("bad-shape")
        np.save(os.path.join(d, "shard-00000", "action.npy"), np.zeros((3, 3), np.float32))
        with self.assertRaisesRegex(DatasetError, r"shard-00000/action.npy: expected float32 \[\d+, 3\], got float32 \[3, 3\]"):
            Dataset(d)

    def test_columns_must_follow_the_card(self):
        d = self._copy("bad-columns")
        edit_index(d, lambda idx: idx.update(columns=["text", "action", "pixels", "objects"]))
        with self.assertRaisesRegex(DatasetError, r"columns: expected the card's columns in card order"):
            Dataset(d)

    def test_episode_bookkeeping_is_checked(self):
        d = self._copy("bad-episode")
        edit_index(d, lambda idx: idx["episodes"][1].update(start=idx["episodes"][1]["start"] + 1))
        with self.assertRaisesRegex(DatasetError, r"episodes\[1\]: episode.npy/step.npy at tokens"):
            Dataset(d)


    def test_out_of_vocabulary_id_names_the_episode(self):
        d = self._copy("bad-id")
        p = os.path.join(d, "shard-00000", "text_ids.npy")
        ids = np.load(p)
        ids[3] = 999
        np.save(p, ids)
        ds = Dataset(d)
        ep = ds.episodes[0]
        with self.assertRaisesRegex(DatasetError, r"episode 0: text_ids.npy holds id 999 at a present token; "
                                                  r"expected 0..259 \(tokenizer.vocab_size\)"):
            Batcher(ds)([Window(ep, [(0, ep.length)], -1)])


class Selection(unittest.TestCase):
    eps = [Episode(0, 0, 0, 100, "train", "push", 40, "push", "success"),
           Episode(1, 0, 100, 300, "train", "push", 40, "push", "timeout"),
           Episode(2, 0, 400, 45, "train", "push", 40, "push", "failed")]

    def test_only_success_drops_the_rest(self):
        self.assertEqual([e.id for e in select_episodes(self.eps, only_success=True)], [0])

    def test_fail_keep_cuts_failed_episodes_after_their_prefix(self):
        keep = fail_keep_tokens(5, {"control_rate_hz": 10})  # 5 s at 10 Hz
        self.assertEqual(keep, 50)
        # success untouched, the timeout cut to prefix + 50, the short failure kept whole
        self.assertEqual([e.length for e in select_episodes(self.eps, fail_keep_tokens=keep)], [100, 90, 45])
        self.assertEqual([e.length for e in self.eps], [100, 300, 45], "the dataset's own episodes are not changed")

    def test_the_two_options_exclude_each_other_and_bad_values_are_named(self):
        with self.assertRaises(ValueError):
            select_episodes(self.eps, only_success=True, fail_keep_tokens=50)
        with self.assertRaisesRegex(DatasetError, "fail-keep-s"):
            fail_keep_tokens(0, {"control_rate_hz": 10})
        with self.assertRaisesRegex(DatasetError, "control_rate_hz"):
            fail_keep_tokens(5, {})
        self.assertIsNone(fail_keep_tokens(None, {}))


class Windows(unittest.TestCase):
    def test_short_episode_is_one_window(self):
        ep = Episode(0, 0, 0, 20, "train", "reach", 5)
        self.assertEqual([(w.pieces, w.junction) for w in windows_for(ep, 32, None)], [([(0, 20)], -1)])

    def test_long_episode_keeps_the_prefix_and_covers_every_target(self):
        ep = Episode(0, 0, 0, 100, "train", "reach", 6)
        ws = windows_for(ep, 32, None)
        targets = set()
        for w in ws:
            toks = [t for a, b in w.pieces for t in range(a, b)]
            self.assertEqual(toks[:6], list(range(6)), "the command prefix leads every window")
            self.assertLessEqual(len(toks), 32)
            for i in range(len(toks) - 1):
                if i != w.junction:
                    self.assertEqual(toks[i + 1], toks[i] + 1, "a target is the true next token")
                    targets.add(toks[i + 1])
        self.assertEqual(targets, set(range(1, 100)))

    def test_random_window(self):
        ep = Episode(0, 0, 0, 100, "train", "reach", 6)
        w = windows_for(ep, 32, np.random.default_rng(3))[0]
        self.assertEqual(w.pieces[0], (0, 6))
        self.assertEqual(w.pieces[1][1] - w.pieces[1][0], 26)
        self.assertEqual(w.junction, 5 if w.pieces[1][0] != 6 else -1)


class Targets(unittest.TestCase):
    def setUp(self):
        self.ds = Dataset(helpers.dataset())
        self.ep = self.ds.episodes[0]

    def test_next_token_targets_and_masks(self):
        b = Batcher(self.ds)([Window(self.ep, [(0, self.ep.length)], -1)])
        L = self.ep.length
        text = self.ds.read(self.ep, 0, L)["text_ids"]
        self.assertEqual(b["targets"]["text"][0].tolist(), text[1:].tolist())
        pres = self.ds.read(self.ep, 0, L)["present"]
        np.testing.assert_array_equal(b["tmask"][0].numpy(), pres[1:])  # no loss where the next cell is absent
        self.assertEqual(b["position"][0].tolist(), list(range(L - 1)))
        self.assertEqual(b["tokens"], L - 1)

    def test_junction_and_padding_are_masked(self):
        p = self.ep.prefix
        w = Window(self.ep, [(0, p), (p + 3, p + 6)], p - 1)
        b = Batcher(self.ds)([w, Window(self.ep, [(0, 4)], -1)])
        self.assertEqual(b["position"][0].tolist(), list(range(p)) + [p + 3, p + 4])
        self.assertEqual(float(b["tmask"][0, p - 1].sum()), 0)  # SEP's target here is not its true next
        self.assertEqual(float(b["tmask"][1, 3:].sum()), 0)  # padding

    def test_command_target(self):
        b = Batcher(self.ds, "command")([Window(self.ep, [(0, self.ep.length)], -1)])
        cmd = self.ds.read(self.ep, 0, self.ep.length)["command"]
        ai = 3
        ok = ~np.isnan(cmd[:-1]).any(-1)
        np.testing.assert_array_equal(b["tmask"][0, :, ai].numpy(), ok.astype(np.float32))
        np.testing.assert_allclose(b["targets"]["action"][0][ok].numpy(), cmd[:-1][ok])

    def test_fail_loss_keeps_only_those_columns_in_failed_episodes(self):
        from dataclasses import replace
        failed = replace(self.ep, outcome="timeout")
        whole = [Window(failed, [(0, failed.length)], -1), Window(self.ep, [(0, self.ep.length)], -1)]
        plain = Batcher(self.ds, "command")(whole)
        b = Batcher(self.ds, "command", fail_loss=frozenset({"text"}))(whole)
        ti = [c.name for c in self.ds.columns].index("text")
        np.testing.assert_array_equal(b["tmask"][0, :, ti].numpy(), plain["tmask"][0, :, ti].numpy())
        self.assertGreater(float(b["tmask"][0, :, ti].sum()), 0)
        others = [i for i in range(len(self.ds.columns)) if i != ti]
        self.assertGreater(float(plain["tmask"][0][:, others].sum()), 0)
        self.assertEqual(float(b["tmask"][0][:, others].sum()), 0)
        np.testing.assert_array_equal(b["tmask"][1].numpy(), plain["tmask"][1].numpy())  # the success is untouched


if __name__ == "__main__":
    unittest.main()
