# Block benchmarks (scripts, never timed tests).
EXTRA_DIST += bench/block
