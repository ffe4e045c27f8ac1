#!/usr/bin/python3
"""Regenerates every reference file under tests/data/ with Debian's PyTorch.

Run with the system interpreter, which has python3-torch and python3-nltk
(apt-get install python3-torch python3-nltk):
    /usr/bin/python3 tools/make_references.py            # all areas
    /usr/bin/python3 tools/make_references.py rnn optim  # some
Each area is a module tools/references/<area>.py with main(out_dir) writing into tests/data/<area>/.
The generated files are committed, so the tests never need PyTorch.
"""
import importlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


def main(areas):
    available = sorted(p.stem for p in (ROOT / "tools" / "references").glob("*.py") if p.stem != "__init__")
    for area in areas or available:
        if area not in available:
            sys.exit(f"make_references: no area '{area}' (have: {', '.join(available)})")
        out = ROOT / "tests" / "data" / area
        out.mkdir(parents=True, exist_ok=True)
        print(f"make_references: {area} -> {out.relative_to(ROOT)}")
        importlib.import_module(f"references.{area}").main(str(out))


if __name__ == "__main__":
    main(sys.argv[1:])
