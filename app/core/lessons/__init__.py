"""Guided lessons: every claim of the source article, reproduced and measured — and two
predictions of mean-field theory (He initialisation, the edge of chaos), each stated with the
paper it comes from (``Lesson.paper``) rather than quoted from the article.

Each lesson is declared once, in its own module here: its title, the claim quoted from the
source (``docs/source.md``), an explanation, the threshold its measurement is held to, the
controls a student may vary (with ranges and defaults; an activation's parameter takes its
range from the catalogue) and a ``measure`` function. The framework (:mod:`.framework`)
says what a declaration holds; :mod:`.formatting` writes numbers for a projector. The lesson
pages, the API (``app.api.lessons``) and the tests are all driven by :data:`LESSONS`.

``measure(params, run)`` takes validated control values and a training runner and returns
a :class:`Measurement`: the measured numbers as :class:`Readout` s (the first is the
headline), a :class:`Verdict` against the stated threshold, the data behind the plots, and
a neutral :class:`View` of the explorer setting that reproduces it (the API makes it a link).
"""

from __future__ import annotations

from .deep_training import *  # noqa: F403
from .deep_training import DEEP_TRAINING
from .dying import *  # noqa: F403
from .dying import DYING
from .edge_of_chaos import *  # noqa: F403
from .edge_of_chaos import EDGE_OF_CHAOS
from .efficiency import *  # noqa: F403
from .efficiency import EFFICIENCY
from .formatting import fmt, pct
from .framework import (
    ARTICLE,
    LESSON_MAX_COST,
    Control,
    ControlError,
    Lesson,
    Measurement,
    Plot,
    Readout,
    Verdict,
    View,
    check_budget,
    explorer_note,
    resolve_controls,
    run_measure,
)
from .he_init import *  # noqa: F403
from .he_init import HE_INIT
from .kink import *  # noqa: F403
from .kink import KINK
from .noisy import *  # noqa: F403
from .noisy import NOISY
from .one_sided import *  # noqa: F403
from .one_sided import ONE_SIDED
from .prelu import *  # noqa: F403
from .prelu import PRELU
from .scale import *  # noqa: F403
from .scale import SCALE
from .softplus import *  # noqa: F403
from .softplus import SOFTPLUS
from .sparse import *  # noqa: F403
from .sparse import SPARSE
from .unbounded import *  # noqa: F403
from .unbounded import UNBOUNDED
from .vanishing import *  # noqa: F403
from .vanishing import VANISHING
from .zero_centred import *  # noqa: F403
from .zero_centred import ZERO_CENTRED

__all__ = [
    "ARTICLE", "LESSON_MAX_COST", "Control", "ControlError", "Lesson", "Measurement", "Plot", "Readout", "Verdict", "View", "check_budget",
    "explorer_note", "fmt", "pct", "resolve_controls", "run_measure", "LESSONS", "BY_SLUG", "SLUGS", "get", "neighbours",
    "DEEP_TRAINING", "DYING", "EDGE_OF_CHAOS", "EFFICIENCY", "HE_INIT", "KINK", "NOISY", "ONE_SIDED", "PRELU", "SCALE", "SOFTPLUS", "SPARSE", "UNBOUNDED", "VANISHING", "ZERO_CENTRED",
]

LESSONS: tuple[Lesson, ...] = (SPARSE, VANISHING, DYING, SCALE, SOFTPLUS, ZERO_CENTRED, KINK, NOISY, PRELU, EFFICIENCY, UNBOUNDED, ONE_SIDED, HE_INIT, EDGE_OF_CHAOS, DEEP_TRAINING)
BY_SLUG: dict[str, Lesson] = {lesson.slug: lesson for lesson in LESSONS}
SLUGS: tuple[str, ...] = tuple(BY_SLUG)


def get(slug: str) -> Lesson:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"unknown lesson {slug!r}; known: {', '.join(SLUGS)}") from None


def neighbours(slug: str) -> tuple[Lesson | None, Lesson | None]:
    i = SLUGS.index(slug)
    return (LESSONS[i - 1] if i > 0 else None, LESSONS[i + 1] if i + 1 < len(LESSONS) else None)
