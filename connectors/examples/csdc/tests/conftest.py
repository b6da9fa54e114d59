"""Makes the example's modules importable from its tests (they live one folder up)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
