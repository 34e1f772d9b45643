// Every plot the app draws from a training run or sweep: its title, its one-line help, and
// the figure it builds. The explorer, the embeds and the lessons all read this registry.

import {
  boundaryFigure,
  deadFigure,
  gradientFlowFigure,
  gradientNormsFigure,
  histogramFigure,
  lossFigure,
  preluFigure,
  sparsityFigure,
  sweepCurvesFigure,
  sweepFigure,
} from "./figures.js";

export const PANELS = {
  function: { title: "f(x) and its derivative f′(x)", help: "Shaded: where f′ = 0 (dead) or |f′| < ε (saturated). Dotted: kinks." },
  loss: { title: "Loss and test accuracy", help: "Cross-entropy (log scale) for training (solid) and test (dashed) data; dotted: test accuracy (right axis).", figure: (t) => lossFigure(t) },
  boundary: { title: "Decision boundary", help: "Probability of class 1 over the plane, with the training (●) and test (▲) points. Scrub or play through training.", figure: (t, o = {}) => boundaryFigure(t, o.frame ?? Infinity) },
  "gradient-flow": { title: "Gradient flow (layer × epoch)", help: "log₁₀ of the gradient's size at each layer's input. Dark rows near layer 1 mean vanishing gradients.", figure: (t) => gradientFlowFigure(t) },
  "gradient-norms": { title: "Gradient norm per layer", help: "‖∂L/∂(layer input)‖ at initialisation (dotted) and at the end (solid). A flat line means gradients neither vanish nor explode.", figure: (t) => gradientNormsFigure(t) },
  sparsity: { title: "Sparsity: fraction of active units", help: "Share of (unit, input) pairs with a positive pre-activation, per layer. ReLU starts near 50 %.", figure: (t) => sparsityFigure(t) },
  dead: { title: "Dead units", help: "Units inactive for every training input: no gradient reaches them, so they never recover.", figure: (t) => deadFigure(t) },
  prelu: { title: "Learned PReLU slopes", help: "PReLU learns its negative slope a, one per layer.", figure: (t) => preluFigure(t) },
  histogram: { title: "Pre-activations at init and at the end", help: "Distribution of z = Wx + b per layer. For ReLU, the mass below 0 is inactive.", figure: (t) => histogramFigure(t) },
  sweep: { title: "Sweep", help: "One trained network per value, all from the same data and initial weights. × marks a diverged run.", figure: (s, o = {}) => sweepFigure(s, o.metric || "dead_fraction", { metricLabel: METRICS[o.metric || "dead_fraction"] }) },
  "sweep-curves": { title: "Training loss for every value", help: "Colour runs from the smallest to the largest value.", figure: (s) => sweepCurvesFigure(s) },
};

export const METRICS = {
  dead_fraction: "dead fraction",
  final_loss: "final training loss",
  final_test_accuracy: "final test accuracy",
  active_fraction: "active fraction",
};
