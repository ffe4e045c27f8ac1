"""Fixtures for tests/autograd/npz_test.cpp: .npz files as numpy itself writes them."""
import os
import struct
import sys

import zipfile

import numpy as np


def npy_member(header, data):
    """A hand-made .npy member: v1.0 magic, the given header dict text, then raw data bytes."""
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data


def crafted(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, payload in members:
            z.writestr(name, payload)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    arrays = {
        "f4": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "f8": np.array([[1.5, -2.25], [3.0, 1e-300]], dtype=np.float64),
        "f2": np.array([0.5, -1.0, 65504.0, 6e-8], dtype=np.float16),
        "i8": np.array([-3, 0, 7], dtype=np.int64),
        "i4": np.array([[1], [2]], dtype=np.int32),
        "i1": np.array([-128, 127], dtype=np.int8),
        "u1": np.array([0, 255], dtype=np.uint8),
        "b1": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
    }
    np.savez(os.path.join(out_dir, "numpy_savez.npz"), **arrays)
    np.savez_compressed(os.path.join(out_dir, "numpy_savez_compressed.npz"), **arrays)
    # Unsupported: big-endian and complex members.
    np.savez(os.path.join(out_dir, "big_endian.npz"), x=np.array([1.0], dtype=">f8"))
    np.savez(os.path.join(out_dir, "complex.npz"), x=np.array([1j]))
    # Malformed members that a zip reader accepts but an .npy reader must not.
    four_floats = np.arange(4, dtype="<f4").tobytes()
    good = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
    crafted(os.path.join(out_dir, "shape_mismatch.npz"),
            [("x.npy", npy_member("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four_floats))])
    crafted(os.path.join(out_dir, "header_garbage.npz"),
            [("x.npy", npy_member("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4,), }", four_floats))])
    # int64 lengths that float32 cannot hold (2^24 + 1, 2^53 + 1), beside a float member.
    crafted(os.path.join(out_dir, "int64_lengths.npz"),
            [("lengths.npy", npy_member("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                        struct.pack("<3q", 5, 2**24 + 1, 2**53 + 1))),
             ("x.npy", npy_member("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                  struct.pack("<2f", 0.5, -1.5)))])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, which is the point
        crafted(os.path.join(out_dir, "duplicate_key.npz"),
                [("x.npy", npy_member(good, four_floats)), ("x.npy", npy_member(good, four_floats))])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/npz"))
