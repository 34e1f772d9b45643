// Every plot the app draws from a training run or sweep: its title, its one-line help, and
// the figure it builds. The explorer, the embeds and the lessons all read this registry.
// figure(data, opts): opts go on to the figure ({narrow, width, paramLabel, metric, …}).

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
  loss: { title: "Loss and test accuracy", help: "Cross-entropy (log scale) for training (solid) and test (dashed) data; dotted: test accuracy (right axis).", figure: (t, o = {}) => lossFigure(t, o) },
  boundary: { title: "Decision boundary", help: "Probability of class 1 over the plane, with the training (●) and test (▲) points. Scrub or play through training.", figure: (t, o = {}) => boundaryFigure(t, o.frame ?? Infinity, o) },
  "gradient-flow": { title: "Gradient flow (layer × epoch)", help: "log₁₀ of the gradient's size per layer: at the layer's input (‖∂L/∂h‖, the default) or of its weights (‖∂L/∂W‖; the Gradient menu picks). Dark rows near layer 1 mean vanishing gradients.", figure: (t, o = {}) => gradientFlowFigure(t, { ...o, key: GRADIENTS[o.grad || "input"].key }) },
  "gradient-norms": { title: "Gradient norm per layer", help: "The gradient's size per layer (at the layer's input, or of its weights: the Gradient menu picks) at initialisation (dotted) and at the end (solid). A flat line means gradients neither vanish nor explode.", figure: (t, o = {}) => gradientNormsFigure(t, { ...o, key: GRADIENTS[o.grad || "input"].key }) },
  sparsity: { title: "Sparsity: fraction of active units", help: "Share of (unit, input) pairs with a positive pre-activation, per layer. ReLU starts near 50 %.", figure: (t, o = {}) => sparsityFigure(t, o) },
  dead: { title: "Dead units", help: "A unit counts as dead when its |f′(z)|, summed over every training input, is below 10⁻⁸: no gradient reaches its weights. For ReLU that means z ≤ 0 on every input; for sigmoid and tanh, saturated on every input; for ELU (f′ = αeᶻ), z below about −20 on every input.", figure: (t, o = {}) => deadFigure(t, o) },
  prelu: { title: "Learned PReLU slopes", help: "PReLU learns its negative slope a, one per layer.", figure: (t, o = {}) => preluFigure(t, o) },
  histogram: { title: "Pre-activations at init and at the end", help: "Distribution of z = Wx + b per layer, over every unit and training input. For ReLU, the mass below 0 is inactive.", figure: (t, o = {}) => histogramFigure(t, o) },
  sweep: { title: "Sweep", help: "One trained network per value, all from the same data and initial weights. × marks a diverged run.", figure: (s, o = {}) => sweepFigure(s, o.metric || "dead_fraction", { ...o, metricLabel: METRICS[o.metric || "dead_fraction"] }) },
  "sweep-curves": { title: "Training loss for every value", help: "Colour runs from the smallest value (dark) to the largest (light).", figure: (s, o = {}) => sweepCurvesFigure(s, o) },
};

/** The two per-layer gradient sizes a trace records (URL: grad=input|weights). */
export const GRADIENTS = {
  input: { key: "grad_norm_input", label: "‖∂L/∂(layer input)‖", menu: "at each layer's input ‖∂L/∂h‖" },
  weights: { key: "grad_norm_weights", label: "‖∂L/∂W‖", menu: "of each layer's weights ‖∂L/∂W‖" },
};

export const METRICS = {
  dead_fraction: "dead fraction",
  final_loss: "final training loss",
  final_test_accuracy: "final test accuracy",
  active_fraction: "active fraction",
};
