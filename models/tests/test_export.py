"""ONNX export to contract v1, the card beside it, the parity vectors, and the committed fixtures."""
import json
import os
import unittest

import helpers
import numpy as np
import onnx
import torch

from omnimodel.export import OPSET, OnnxGraph, decode, write_export

# Plain ops only, so the graph suits onnxruntime's CPU and WebGPU providers.
PLAIN_OPS = {"Add", "Cast", "Concat", "Constant", "ConstantOfShape", "Cos", "Div", "Equal", "Erf", "Expand", "Gather",
             "Greater", "Identity", "Clip", "LayerNormalization", "LessOrEqual", "MatMul", "Mul", "Neg", "Range", "Reshape",
             "Shape", "Sigmoid", "Sin", "Slice", "Softmax", "Sqrt", "Sub", "Tanh", "Transpose", "Unsqueeze", "Where",
             "Gemm", "Split"}


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = helpers.micro_model(seed=3)
        cls.out = helpers.tmpdir("export")
        cls.card = write_export(cls.model, cls.out, helpers.CARD, "micro-export", training={"data": "none"},
                                metrics={"val_loss_text": 1.5})
        cls.onnx = onnx.load(os.path.join(cls.out, "model.onnx"))
        with open(os.path.join(cls.out, "parity.json")) as f:
            cls.parity = json.load(f)

    def test_graph_is_the_contract(self):
        onnx.checker.check_model(self.onnx)
        self.assertEqual(max(o.version for o in self.onnx.opset_import if o.domain in ("", "ai.onnx")), OPSET)

        def sig(values):
            return {v.name: (onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower(),
                             [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in values}
        H, D = self.model.cfg.heads, self.model.cfg.head_dim
        want_in = {"text_ids": ("int64", ["batch", "tokens"]), "pixels": ("float", ["batch", "tokens", 48]),
                   "objects": ("float", ["batch", "tokens", 14]), "action": ("float", ["batch", "tokens", 3]),
                   "present": ("float", ["batch", "tokens", 4]), "position": ("int64", ["batch", "tokens"])}
        want_out = {"text_logits": ("float", ["batch", "tokens", 260]), "pixels_out": ("float", ["batch", "tokens", 48]),
                    "objects_out": ("float", ["batch", "tokens", 14]), "action_out": ("float", ["batch", "tokens", 3])}
        for i in range(self.model.cfg.layers):
            for kv in ("key", "value"):
                want_in[f"past_key_values.{i}.{kv}"] = ("float", ["batch", H, "past", D])
                want_out[f"present.{i}.{kv}"] = ("float", ["batch", H, "total", D])
        self.assertEqual(sig(self.onnx.graph.input), want_in)
        self.assertEqual(sig(self.onnx.graph.output), want_out)

    def test_plain_ops_only(self):
        ops = {n.op_type for n in self.onnx.graph.node}
        self.assertEqual(ops - PLAIN_OPS, set())

    def test_card(self):
        c = self.card
        self.assertEqual((c["name"], c["onnx"], c["schema_version"]), ("micro-export", "model.onnx", 1))
        self.assertEqual(c["kv_cache"], {"layers": 2, "heads": 2, "head_dim": 20, "dtype": "float32"})
        self.assertEqual(c["columns"], helpers.CARD["columns"])
        self.assertEqual(c["context_length"], 64)
        self.assertEqual(c["metrics"], {"val_loss_text": 1.5})
        self.assertEqual(c["training"]["data"], "none")
        # the architecture rides along, so the network can be rebuilt from the card alone
        self.assertEqual((c["training"]["model_config"]["layers"], c["training"]["model_config"]["heads"]), (2, 2))
        with open(os.path.join(self.out, "card.json")) as f:
            self.assertEqual(json.load(f), c)

    def test_parity_vectors_chain_from_an_empty_cache(self):
        cases = self.parity["cases"]
        self.assertEqual(self.parity["tolerance"], 1e-4)
        self.assertEqual([(c["past"], c["new"]) for c in cases], [(0, 5), (5, 1), (6, 1), (7, 1), (8, 2), (0, 3)])
        self.assertEqual(decode(cases[-1]["inputs"]["action"]).shape, (2, 3, 3))  # the batch case
        first = cases[0]["inputs"]
        self.assertEqual(decode(first["past_key_values.0.key"]).shape, (1, 2, 0, 20))
        self.assertEqual(decode(first["text_ids"])[0, 0], 257)  # BOS
        for prev, cur in zip(cases, cases[1:]):
            if cur["past"] == 0:
                continue
            for i in range(self.model.cfg.layers):
                for kv in ("key", "value"):
                    np.testing.assert_array_equal(decode(cur["inputs"][f"past_key_values.{i}.{kv}"]),
                                                  decode(prev["outputs"][f"present.{i}.{kv}"]))
            pos = decode(cur["inputs"]["position"])[0]
            self.assertEqual(pos.tolist(), list(range(cur["past"], cur["past"] + cur["new"])))

    def test_parity_outputs_are_torchs(self):
        graph = OnnxGraph(self.model.eval())
        names = [c.input_name for c in self.model.columns] + ["present", "position"]
        names += [f"past_key_values.{i}.{kv}" for i in range(self.model.cfg.layers) for kv in ("key", "value")]
        case = self.parity["cases"][2]
        with torch.no_grad():
            res = graph(*[torch.from_numpy(decode(case["inputs"][n]).copy()) for n in names])
        np.testing.assert_array_equal(res[3].numpy(), decode(case["outputs"]["action_out"]))


class Fixtures(unittest.TestCase):
    def test_committed_test_models_are_what_the_script_makes(self):
        """Golden files beside the script that makes them: a stale fixture fails here."""
        import make_test_models
        out = helpers.tmpdir("fixtures")
        make_test_models.main(["--out", out, "--only", "micro"])
        committed = os.path.join(helpers.ROOT, "test", "fixtures", "models", "micro")
        for f in ("card.json", "parity.json"):
            self.assertTrue(os.path.exists(os.path.join(committed, f)),
                            f"{committed}/{f} missing: run /usr/bin/python3 models/make_test_models.py")
        with open(os.path.join(out, "micro", "card.json")) as a, open(os.path.join(committed, "card.json")) as b:
            self.assertEqual(json.load(a), json.load(b))
        with open(os.path.join(out, "micro", "parity.json")) as a, open(os.path.join(committed, "parity.json")) as b:
            new, old = json.load(a)["cases"], json.load(b)["cases"]
        for cn, co in zip(new, old):
            for side in ("inputs", "outputs"):
                for k in co[side]:
                    np.testing.assert_allclose(decode(cn[side][k]), decode(co[side][k]), atol=1e-6,
                                               err_msg=f"{co['name']} {k}: regenerate the fixtures "
                                                       "(/usr/bin/python3 models/make_test_models.py)")


if __name__ == "__main__":
    unittest.main()
