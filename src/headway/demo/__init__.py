"""The demo world: a reproducible marketing data set with planted effects (docs/demo.md)."""

from headway.demo.build import DemoSummary, build_demo
from headway.demo.world import NO_EFFECTS, DemoConfig, Effects

__all__ = ["NO_EFFECTS", "DemoConfig", "DemoSummary", "Effects", "build_demo"]
