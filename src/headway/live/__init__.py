"""Live journeys: stage state kept current as activities arrive, and journey events.

``state`` matches contacts (the engine's matcher over their activities), ``events`` turns
state changes into journey events, ``records`` reads and writes the live tables,
``updater`` applies arrivals, rebuilds and the clock, ``runtime`` runs them in the server,
``service`` is the part of ``Headway`` that surfaces call. See docs/live.md.
"""
