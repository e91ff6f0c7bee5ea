"""DistributedDataParallel through torchrun's environment contract, on CPU (gloo), two processes.

The processes are started with the variables torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) rather than by torchrun itself: Debian's torch 1.13
torchrun fails on Python 3.11 at its defaults (`--redirects 0`, see models/README.md)."""
import json
import os
import socket
import subprocess
import sys
import unittest

import helpers
import torch.distributed as dist


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(dist.is_available() and dist.is_gloo_available(), "torch built without gloo")
class TwoProcesses(unittest.TestCase):
    def test_ddp_run_trains_and_reports(self):
        out = helpers.tmpdir("ddp")
        port = str(free_port())
        cmd = [sys.executable, os.path.join(helpers.MODELS, "train.py"), "--data", helpers.dataset(), "--out", out,
               "--layers", "1", "--heads", "2", "--block-min", "8", "--block-max", "8", "--free-block", "8",
               "--context", "32", "--batch-size", "4", "--phases", "action:3,all:3", "--log-every", "3",
               "--val-every", "6", "--no-export", "--quiet"]
        procs = []
        for rank in range(2):
            env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2",
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=port, OMP_NUM_THREADS="1")
            if os.path.exists("/sys/class/net/lo"):
                env["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only, whatever the host name resolves to
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for rank, p in enumerate(procs):
            try:
                text, _ = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                for q in procs:
                    q.kill()
                raise
            self.assertEqual(p.returncode, 0, f"rank {rank}:\n{text}")
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        self.assertEqual(report["training"]["world_size"], 2)
        self.assertEqual(report["training"]["steps"], 6)
        self.assertTrue(report["final"]["val"])


if __name__ == "__main__":
    unittest.main()
