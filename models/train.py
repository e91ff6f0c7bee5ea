#!/usr/bin/env python3
"""Train the omnitoken transformer: /usr/bin/python3 models/train.py --data DIR --out DIR [options].
Several processes: /usr/bin/python3 -m torch.distributed.run --nproc_per_node N models/train.py ...
(`--help` for every option; models/README.md for the recipes)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from omnimodel.train import TrainError, main  # noqa: E402
from omnimodel.data import DatasetError  # noqa: E402
from omnimodel.schema import SchemaError  # noqa: E402
from omnimodel.checkpoint import CheckpointError  # noqa: E402
from omnimodel.config import ConfigError  # noqa: E402

if __name__ == "__main__":
    try:
        sys.exit(main())
    except (TrainError, DatasetError, SchemaError, CheckpointError, ConfigError) as e:
        print(f"train: {e}", file=sys.stderr)
        sys.exit(2)
