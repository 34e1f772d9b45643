// The data behind each training plot as flat tables (for CSV export).

export function lossTable(t) {
  const m = t.task === "regression" ? "r2" : "accuracy";
  const columns = ["activation", "epoch", "train_loss", "test_loss", `train_${m}`, `test_${m}`];
  const rows = [];
  for (const v of t.variants) {
    const a = v[m];
    v.loss.train.forEach((_, k) => rows.push([v.label, t.frames[k], v.loss.train[k], v.loss.test[k], a.train[k], a.test[k]]));
  }
  return { columns, rows };
}

/** One row per (variant, frame, layer) of a per-layer statistic. */
export function layerTable(t, key) {
  const columns = ["activation", "epoch", "layer", key];
  const rows = [];
  for (const v of t.variants) {
    const m = v.layers[key];
    if (!m) continue;
    m.forEach((row, k) => row.forEach((val, l) => rows.push([v.label, t.frames[k], l + 1, val])));
  }
  return { columns, rows };
}

/** The gradient-norm plot's lines: per (variant, layer) the norm at init and at the last epoch,
 * and, once the theory's overlay came, per variant {median, theory} arrays (null where none). */
export function gradientNormsTable(t, key, overlay = []) {
  const last = t.frames[t.frames.length - 1];
  const columns = ["activation", "layer", "at_init", `at_epoch_${last}`];
  if (overlay.length) columns.push("median_of_inits", "mean_field_theory");
  const rows = [];
  t.variants.forEach((v, i) => {
    const m = v.layers[key];
    if (!m || !m.length) return;
    const o = overlay[i] || {};
    m[0].forEach((_, l) => {
      const row = [v.label, l + 1, m[0][l], m[m.length - 1][l]];
      if (overlay.length) row.push(o.median ? o.median[l] : null, o.theory ? o.theory[l] : null);
      rows.push(row);
    });
  });
  return { columns, rows };
}

/** The same lines as JSON, per variant (and the theory's own answer once it came). */
export function gradientNormsJson(t, key, overlay = [], theory = undefined) {
  const variants = t.variants.map((v, i) => {
    const m = v.layers[key] || [];
    const out = { activation: v.activation, quantity: key, at_init: m[0] || null, last_epoch: m.length ? t.frames[m.length - 1] : null, at_last_epoch: m[m.length - 1] || null };
    if (overlay.length) Object.assign(out, { median_of_inits: overlay[i] ? overlay[i].median : null, mean_field_theory: overlay[i] ? overlay[i].theory : null });
    return out;
  });
  return theory === undefined ? { variants } : { variants, theory };
}

export function histogramTable(t) {
  const columns = ["activation", "when", "layer", "bin_left", "bin_right", "count"];
  const rows = [];
  for (const v of t.variants) {
    for (const when of ["init", "final"]) {
      (v.histograms[when] || []).forEach((h, l) => h.counts.forEach((c, j) => rows.push([v.label, when, l + 1, h.edges[j], h.edges[j + 1], c])));
    }
  }
  return { columns, rows };
}

export function pointsTable(t) {
  const columns = ["set", "x0", "x1", "label"];
  const rows = [];
  for (const set of ["train", "test"]) t.data[set].x.forEach((p, j) => rows.push([set, p[0], p[1], t.data[set].y[j]]));
  return { columns, rows };
}

export function sweepTable(sw) {
  const keys = ["final_loss", "final_test_loss", "final_train_accuracy", "final_test_accuracy", "dead_fraction", "active_fraction", "diverged_at_epoch"];
  const columns = ["activation", sw.param, ...keys];
  const rows = [];
  for (const s of sw.series) sw.values.forEach((val, j) => rows.push([s.label, val, ...keys.map((k) => s[k][j])]));
  return { columns, rows };
}

export function sweepCurvesTable(sw) {
  const columns = ["activation", sw.param, "epoch", "train_loss", "dead_fraction"];
  const rows = [];
  for (const s of sw.series) {
    sw.values.forEach((val, j) => s.loss[j].forEach((l, k) => rows.push([s.label, val, sw.frames[k], l, s.dead_fraction_curve[j][k]])));
  }
  return { columns, rows };
}
