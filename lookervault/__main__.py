"""Entry point for ``python -m lookervault``."""

from __future__ import annotations

from lookervault.cli.app import main

if __name__ == "__main__":
    main()
