"""From the inputs to weekly series: the method (``series``), the representative snapshot and its
provenance written through the contract (``representative``), and the ensemble of reconstructions
drawn across the inputs' ranges (``ensemble``). It may import the snapshot, sources and analysis.
"""
