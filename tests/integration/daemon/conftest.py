"""Daemon tests use the fake CTP front; ctp_fake imports openctp-ctp, which needs the GB18030 locale."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
