"""Speed and memory benchmarks of :mod:`ntk` against reference implementations (DESIGN.md layout).

Run ``python -m benchmarks.bench_ntk`` (see ``benchmarks/README.md``).
"""
