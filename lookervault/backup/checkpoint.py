"""Resume state for the jobs: the typed checkpoint keys, which live light in lookervault.checkpoint."""

from __future__ import annotations

from lookervault.checkpoint import Checkpoint, CheckpointKind, variant_key

__all__ = ["Checkpoint", "CheckpointKind", "variant_key"]
