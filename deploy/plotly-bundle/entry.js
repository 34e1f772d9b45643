'use strict';
// plotly.js with the traces Activation Lab draws: scatter (in the core), bar and heatmap.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap')]);

module.exports = Plotly;
