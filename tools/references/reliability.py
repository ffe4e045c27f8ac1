"""Fixtures for the npz format-version checks (tests/autograd/npz_test.cpp): archives whose
`__tapegrad__` member announces a newer format, or is not a version at all."""
import os
import sys

import numpy as np


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    x = np.arange(3, dtype=np.float32)
    np.savez(os.path.join(out_dir, "future_version.npz"), __tapegrad__=np.array(99, dtype=np.int64), x=x)
    np.savez(os.path.join(out_dir, "bad_version.npz"), __tapegrad__=np.array([1, 2], dtype=np.int64), x=x)
    np.savez(os.path.join(out_dir, "current_version.npz"), __tapegrad__=np.array(1, dtype=np.int64), x=x)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/reliability"))
