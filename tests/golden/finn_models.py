"""Hypothesis settings and strategies of the golden-model tests (FINN models: sim/finn_models.py)."""
from typing import NamedTuple

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# a handful of examples per property keeps the whole golden suite well under a minute
few_examples = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class MvauGeometry(NamedTuple):
    simd: int
    pe: int
    mw: int
    mh: int
    vectors: tuple


@st.composite
def mvau_geometries(draw, simd_choices=(1, 2, 4), max_simd_fold=4):
    """MW, MH with SIMD | MW and PE | MH, and a small (1, H, W) batch of input vectors."""
    simd, pe = draw(st.sampled_from(simd_choices)), draw(st.sampled_from((1, 2)))
    mw = simd * draw(st.integers(1, max_simd_fold))
    mh = pe * draw(st.integers(1, 3))
    vectors = (1, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return MvauGeometry(simd, pe, mw, mh, vectors)
