"""Where the binding's tests find things: this tree's package (put first on
sys.path, so that `import civic` after importing this module is the civic
beside the tests, not an installed one), the repository, its sample log and
civic-score (CIVIC_SCORE, else build/civic-score)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)                      # bindings/python
REPO = os.path.normpath(os.path.join(PKG_ROOT, os.pardir, os.pardir))
if sys.path[:1] != [PKG_ROOT]:
    sys.path.insert(0, PKG_ROOT)

CLI = os.environ.get("CIVIC_SCORE") or os.path.join(REPO, "build", "civic-score")
SAMPLE = os.path.join(REPO, "examples", "data", "sample.csv")
