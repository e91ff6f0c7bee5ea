"""omniloop's reference model: a transformer over omnitokens (seed 000, DESIGN §3), its training
on the dataset export (docs/CONVENTIONS.md) and its ONNX export (contract v1)."""
