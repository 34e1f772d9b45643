"""Activation Lab: see how activation functions behave and what they do to a network."""

import os

__version__ = "0.1.0"

# One BLAS thread per computation, set before numpy loads (unless the environment says
# otherwise): the training pool already runs runs side by side, one per core, and OpenBLAS's
# own threads, spinning on a busy machine, made the engine's products 10–50× slower.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
