// optviz's views in the browser: the race player, and any other Plotly figure of the page.
//
// The player draws every step of every run exactly, one step at a time if you like. Plotly
// draws what does not move (the shaded surface, the axes, the landmarks); a canvas on top of
// the plot area draws what does (each run's path up to the current step, and its head). Each
// trajectory reaches the browser once, as float32 arrays; playing, stepping and scrubbing never
// ask the server for anything. Both views share one copy of plotly.js, served by the app
// itself (no CDN: classrooms may be offline), and follow the page's light or dark theme. The
// same function runs inside Streamlit (as a custom component) and in the standalone HTML
// export (called by a small shim with the same arguments).
//
// With the step inspector (data.inspect), the heads layer also draws, at the current step k,
// each run's step from point k - 1 to point k, the downhill direction -g and the velocity's
// push, and the player tells Python the step it rests on (a component state value, set when it
// pauses or steps, never while it plays), so the panel under it can list that step's values.
// With the forces (data.forces, the arrow button), it draws them at every run's head on every
// frame, playing or not: see drawForces().

// The plot is never less tall than this: a phone's width, or a page with much above the race.
const MIN_FIT = 360;
// A plot beside its runs table should be at least this tall where the screen allows.
const RICH_FIT = 400;
// Whether the visitor asked the browser for less motion: no race then plays by itself.
const reducedMotion = () => window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon", "star", "cross", "x"];
// Run or scene id -> decoded arrays, kept for the page's life (across reruns and remounts).
const CACHE = (window.__optvizCache = window.__optvizCache || new Map());

function decode(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

// Resolved when the race has been drawn once: the other figures wait for it (at most a moment),
// so the page's first chart is the race.
let raceDrawn;
const firstRace = new Promise((resolve) => { raceDrawn = resolve; });
const moment = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// plotly.js bundles by address: the basic one (scatter plots) draws the race and the 2-D
// figures; the full one loads only when a figure needs it (the 3-D view). Each load keeps
// the Plotly it made, even if a later bundle takes the global name.
const bundles = (window.__optvizPlotly = window.__optvizPlotly || new Map());
function loadPlotly(url) {
  if (!bundles.has(url)) {
    bundles.set(url, new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { bundles.delete(url); reject(new Error("plotly.js did not load from " + url)); };
      document.head.appendChild(script);
    }));
  }
  return bundles.get(url);
}

// plotly.js's config comes with the data, for every figure and the player alike (Python's
// optviz.draw.figures.PLOTLY_CONFIG: nothing leaves the machine, no text is typeset). The player adds
// only how its plot takes gestures (a click sets the start; no box or lasso selection), under
// that config, so nothing here can override it.
const PLAYER_GESTURES = { scrollZoom: false, doubleClick: false, modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"] };

// plotly.js's own words (its buttons' tips) in the page's language: a locale made from the
// page's catalog, registered once per language, and named in the config of every figure.
const locales = new WeakMap(); // each plotly.js bundle -> the languages registered with it
function configFor(P, data, extra = {}) {
  const config = { ...extra, ...data.config };
  if (data.locale) {
    if (!locales.has(P)) locales.set(P, new Set());
    if (!locales.get(P).has(data.locale.name)) {
      P.register({ moduleType: "locale", name: data.locale.name, dictionary: data.locale.dictionary, format: {} });
      locales.get(P).add(data.locale.name);
    }
    config.locale = data.locale.name;
  }
  return config;
}

// The player's buttons, drawn (no icon font is needed: a classroom's machine may lack one).
const svg = (path) => `<svg viewBox="0 0 24 24" width="1.1em" height="1.1em" aria-hidden="true" fill="currentColor">${path}</svg>`;
const ICONS = {
  first: svg('<rect x="4" y="5" width="2.5" height="14"/><path d="M20 5v14L8 12z"/>'),
  back: svg('<path d="M17 5v14L6 12z"/>'),
  play: svg('<path d="M7 4v16l13-8z"/>'),
  pause: svg('<rect x="6" y="5" width="4" height="14"/><rect x="14" y="5" width="4" height="14"/>'),
  forward: svg('<path d="M7 5v14l11-7z"/>'),
  last: svg('<path d="M4 5v14l12-7z"/><rect x="17.5" y="5" width="2.5" height="14"/>'),
  fullscreen: svg('<path d="M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z"/>'),
  forces: svg('<path d="M4.4 21 3 19.6 15.6 7H10V5h9v9h-2V8.4z"/><circle cx="5" cy="19" r="2.2"/>'),
};

// ------------------------------------------------------------------------------ marker shapes

function shape(ctx, symbol, x, y, r) {
  ctx.beginPath();
  const poly = (n, rot, rr = r) => {
    for (let i = 0; i < n; i++) {
      const a = rot + (2 * Math.PI * i) / n;
      const px = x + rr * Math.cos(a), py = y + rr * Math.sin(a);
      i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    }
    ctx.closePath();
  };
  switch (symbol) {
    case "square": ctx.rect(x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r); break;
    case "diamond": poly(4, 0, r * 1.15); break;
    case "triangle-up": poly(3, -Math.PI / 2, r * 1.2); break;
    case "triangle-down": poly(3, Math.PI / 2, r * 1.2); break;
    case "pentagon": poly(5, -Math.PI / 2, r * 1.05); break;
    case "hexagon": poly(6, 0, r * 1.05); break;
    case "star": {
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (Math.PI * i) / 5, rr = i % 2 ? r * 0.5 : r * 1.25;
        const px = x + rr * Math.cos(a), py = y + rr * Math.sin(a);
        i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      }
      ctx.closePath();
      break;
    }
    case "cross": {
      const w = r * 0.42;
      ctx.moveTo(x - w, y - r); ctx.lineTo(x + w, y - r); ctx.lineTo(x + w, y - w); ctx.lineTo(x + r, y - w);
      ctx.lineTo(x + r, y + w); ctx.lineTo(x + w, y + w); ctx.lineTo(x + w, y + r); ctx.lineTo(x - w, y + r);
      ctx.lineTo(x - w, y + w); ctx.lineTo(x - r, y + w); ctx.lineTo(x - r, y - w); ctx.lineTo(x - w, y - w);
      ctx.closePath();
      break;
    }
    case "x": {
      ctx.save(); ctx.translate(x, y); ctx.rotate(Math.PI / 4); ctx.translate(-x, -y);
      shape(ctx, "cross", x, y, r * 1.1); ctx.restore();
      return;
    }
    default: ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

// ------------------------------------------------------------------------------ the player

class Player {
  constructor(root) {
    this.root = root;
    this.step = 0;
    this.playing = false;
    this.loop = false;
    this.drawnTo = -1; // the trail layer holds every path up to this step
    this.build();
  }

  build() {
    this.root.tabIndex = 0;
    this.root.classList.add("ovp");
    this.root.innerHTML = `
      <div class="ovp-stage">
       <div class="ovp-main">
        <div class="ovp-plot"><div class="ovp-gd"></div><canvas class="ovp-trails"></canvas><canvas class="ovp-heads"></canvas><div class="ovp-hold" role="status"></div></div>
        <div class="ovp-controls">
        <button class="ovp-first" type="button">${ICONS.first}</button>
        <button class="ovp-back" type="button">${ICONS.back}</button>
        <button class="ovp-play" type="button">${ICONS.play}</button>
        <button class="ovp-forward" type="button">${ICONS.forward}</button>
        <button class="ovp-last" type="button">${ICONS.last}</button>
        <input class="ovp-scrub" type="range" min="0" value="0" step="1">
        <label class="ovp-loop-label"><input class="ovp-loop" type="checkbox"> <span></span></label>
        <label class="ovp-speed-label"><span></span> <input class="ovp-speed" type="range" min="0" max="1000" value="500"> <output class="ovp-speed-out"></output></label>
        <button class="ovp-forces" type="button" aria-pressed="false" hidden>${ICONS.forces}</button>
        <button class="ovp-full" type="button">${ICONS.fullscreen}</button>
        </div>
       </div>
       <div class="ovp-side"><div class="ovp-step"></div><table class="ovp-runs"></table><div class="ovp-offnote"></div><div class="ovp-arrows"></div><div class="ovp-forces-key"></div>
        <figure class="ovp-data" hidden><figcaption></figcaption><canvas></canvas></figure></div>
      </div>`;
    this.gd = this.root.querySelector(".ovp-gd");
    this.trails = this.root.querySelector(".ovp-trails");
    this.heads = this.root.querySelector(".ovp-heads");
    this.scrub = this.root.querySelector(".ovp-scrub");
    this.speed = this.root.querySelector(".ovp-speed");
    const on = (sel, ev, fn) => this.root.querySelector(sel).addEventListener(ev, fn);
    on(".ovp-first", "click", () => this.go(0));
    on(".ovp-back", "click", () => this.go(this.step - 1));
    on(".ovp-play", "click", () => this.toggle());
    on(".ovp-forward", "click", () => this.go(this.step + 1));
    on(".ovp-last", "click", () => this.go(this.steps));
    on(".ovp-full", "click", () => this.fullscreen());
    on(".ovp-forces", "click", () => this.toggleForces());
    this.scrub.addEventListener("input", () => this.go(Number(this.scrub.value)));
    on(".ovp-loop", "change", (e) => { this.loop = e.target.checked; });
    this.speed.addEventListener("input", () => this.showSpeed());
    this.root.addEventListener("keydown", (e) => this.key(e));
    this.onSeek = (e) => { if (this.held || !this.runs) return; this.pause(); this.go(Number(e.detail.step)); };
    window.addEventListener("optviz:seek", this.onSeek);
    this.onFullscreen = () => { this.fit(); this.render().then(() => this.resize()); };
    document.addEventListener("fullscreenchange", this.onFullscreen);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.root.querySelector(".ovp-plot"));
    // The page above the player may grow or shrink (a formula typeset, a message shown), the
    // controls may wrap, the window may change: the plot is fitted again.
    this.onWindow = () => { const k = this.k; this.fit(); if (this.P && this.scale() !== k) this.render().then(() => this.resize()); };
    window.addEventListener("resize", this.onWindow);
    this.fitObserver = new ResizeObserver(() => this.fit());
    this.fitObserver.observe(this.root.querySelector(".ovp-controls"));
    const page = this.root.closest("[data-testid='stMainBlockContainer']");
    if (page) this.fitObserver.observe(page);
    this.gd.addEventListener("mousedown", (e) => this.press(e));
    this.gd.addEventListener("click", (e) => this.click(e)); // Plotly takes mouseup for its drag
  }

  // How large text, lines and markers are: on a projector (a projector's link, or full screen)
  // in proportion to the screen's height, for the back of a room (twice as large at 1080 px).
  scale() {
    const big = (this.data && this.data.projector) || document.fullscreenElement === this.root;
    const k = big ? Math.min(2.5, Math.max(1.25, window.innerHeight / 540)) : 1;
    if (k !== this.k) this.root.style.setProperty("--ovp-scale", String(k)); // asked every frame: the page restyled only on a change
    this.k = k;
    return k;
  }

  // The plot's height: what the screen has under the plot's top once the controls are drawn
  // (the page's first screen, or the full screen), and never less than MIN_FIT, so that the
  // race and its controls are seen together without scrolling.
  fit() {
    const plot = this.root.querySelector(".ovp-plot"), controls = this.root.querySelector(".ovp-controls");
    const below = controls.offsetHeight + 6 + 20; // the controls, their margin, air (a projector page's 1rem margin)
    let room;
    if (document.fullscreenElement === this.root) room = this.root.clientHeight - 32 - below;
    else {
      let scroller = this.root.parentElement;
      while (scroller && scroller !== document.body && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement;
      const scrolled = scroller && scroller !== document.body ? scroller.scrollTop : window.scrollY;
      room = window.innerHeight - (plot.getBoundingClientRect().top + scrolled) - below;
    }
    const fitted = Math.max(MIN_FIT, Math.floor(room));
    if (fitted !== this.fitted) {
      this.fitted = fitted;
      this.root.style.setProperty("--ovp-fit", fitted + "px");
    }
    // A wide surface (six-hump camel) beside the runs is short: the runs go under it when that
    // makes the plot taller and beside it would leave less than RICH_FIT.
    if (!this.scene) return;
    const width = this.root.clientWidth, aspect = this.shape().aspect;
    const side = Math.min(Math.max(200, 0.28 * width), 380 * this.k) + 16;
    const beside = Math.min(fitted, (width - side) / aspect), under = Math.min(fitted, width / aspect);
    this.root.classList.toggle("ovp-stacked", beside < Math.min(fitted, RICH_FIT) && under > beside);
  }

  // The plot's shape: the surface's own proportions (one unit as long on either axis), or a
  // square when they differ more than the scene's max_aspect times (Python's race.MAX_ASPECT;
  // the plot then says so).
  shape() {
    const [[x0, x1], [y0, y1]] = this.scene.domain, ratio = (x1 - x0) / (y1 - y0), most = this.scene.max_aspect;
    const equal = ratio <= most && ratio >= 1 / most;
    return { equal, aspect: equal ? ratio : 1, stretch: ratio >= 1 ? ratio : 1 / ratio };
  }

  close() {
    this.pause();
    this.resizeObserver.disconnect();
    this.fitObserver.disconnect();
    window.removeEventListener("resize", this.onWindow);
    window.removeEventListener("optviz:seek", this.onSeek);
    document.removeEventListener("fullscreenchange", this.onFullscreen);
  }

  // Speed: the slider is logarithmic, from 1 to 500 steps per second.
  stepsPerSecond() {
    return Math.round(Math.pow(500, Number(this.speed.value) / 1000));
  }

  showSpeed() {
    this.root.querySelector(".ovp-speed-out").textContent = this.text.speed_value.replace("{n}", this.stepsPerSecond());
  }

  update(data, setStateValue, setTriggerValue) {
    const ready = (this.root.__ready = { done: false }); // for tests: the latest data is drawn
    this.setStateValue = setStateValue;
    this.setTriggerValue = setTriggerValue;
    this.text = data.text;
    // Arrays come once per page: what this message brings is kept first (two runs with the same
    // trajectory share one id, and the arrays come with the first of them), then anything the
    // page still lacks (a reload) is asked for again.
    for (const r of data.runs) {
      if (r.arrays) CACHE.set(r.id, { x: decode(r.arrays.x), y: decode(r.arrays.y), gap: decode(r.arrays.gap) });
      if (r.inspect) CACHE.set(r.id + ":inspect", Object.fromEntries(Object.entries(r.inspect).map(([k, v]) => [k, decode(v)])));
    }
    if (data.scene.background) CACHE.set(data.scene.id, data.scene);
    const missing = [...new Set(data.runs.filter((r) => !CACHE.has(r.id)).map((r) => r.id))];
    if (!CACHE.has(data.scene.id)) missing.push(data.scene.id);
    if (wantsVectors(data)) missing.push(...new Set(data.runs.filter((r) => !CACHE.has(r.id + ":inspect")).map((r) => r.id + ":inspect")));
    if (missing.length) { // a rerun brings them; asked for a few times at most, never in a loop
      const asked = missing.join(" ");
      this.asks = this.lastAsked === asked ? (this.asks || 0) + 1 : 1;
      this.lastAsked = asked;
      if (this.asks <= 3) setTriggerValue("missing", missing);
      return Promise.resolve();
    }
    this.lastAsked = null;
    const scene = CACHE.get(data.scene.id);
    const previous = this.data;
    const newRace = !previous || previous.race !== data.race;
    this.data = data;
    this.scene = scene;
    this.runs = data.runs.map((r, i) => ({ ...r, ...CACHE.get(r.id), vectors: wantsVectors(data) ? CACHE.get(r.id + ":inspect") : null, index: i }));
    this.reported = data.inspect ? data.inspect.step : null; // the step Python shows
    this.root.style.setProperty("--ovp-aspect", String(this.shape().aspect));
    this.steps = data.steps;
    this.scrub.max = String(this.steps);
    this.root.querySelector(".ovp-loop-label span").textContent = this.text.loop;
    this.root.querySelector(".ovp-speed-label span").textContent = this.text.speed;
    for (const [sel, key] of [[".ovp-first", "first"], [".ovp-back", "back"], [".ovp-play", "play"], [".ovp-forward", "forward"], [".ovp-last", "last"], [".ovp-full", "fullscreen"]]) {
      const b = this.root.querySelector(sel);
      b.title = this.text[key]; b.setAttribute("aria-label", this.text[key]);
    }
    if (!previous || previous.speed !== data.speed) this.speed.value = String(Math.round(1000 * Math.log(data.speed) / Math.log(500)));
    this.showSpeed();
    this.scale();
    this.fit();
    this.renderRunsTable();
    this.renderArrowsKey();
    this.showForces();
    return this.render().then(() => {
      if (!this.relayoutBound) {
        this.gd.on("plotly_relayout", () => { this.drawnTo = -1; this.draw(); });
        this.relayoutBound = true;
      }
      this.drawnTo = -1;
      this.resize();
      // A new race opens on its whole story (every path drawn); a change of settings keeps the
      // step the player was at, so the runs can be compared where they were.
      // A lesson holds its race at the start until its question is answered, then plays it.
      // The page's first race plays from its start, so that something moves as the page opens
      // (not where the visitor asked the browser for less motion).
      const released = !newRace && previous.hold && !data.hold;
      const calm = data.still || reducedMotion(); // the visitor asked for less motion: nothing plays by itself
      const opening = !previous && !calm;
      this.hold(data.hold);
      if (data.hold) this.go(0);
      else if (newRace || released) this.go(data.initial_step === "start" || opening ? 0 : this.steps);
      else this.go(Math.min(this.step, this.steps));
      if ((newRace || released) && (data.autoplay || opening) && !data.hold && !calm) this.play();
      // Answered on a phone, where the question is above the race: the race comes into view.
      if (released) this.root.querySelector(".ovp-main").scrollIntoView({ block: "nearest", behavior: calm ? "auto" : "smooth" });
      this.report();
      ready.done = true;
      raceDrawn();
      window.dispatchEvent(new Event("optviz:race"));
    });
  }

  render() {
    return loadPlotly(this.data.plotly_url).then((P) => {
      this.P = P;
      return P.react(this.gd, this.figure(), this.layout(), configFor(P, this.data, PLAYER_GESTURES));
    });
  }

  figure() {
    const s = this.scene, traces = [];
    traces.push({ type: "scatter", mode: "markers", x: [this.data.start[0]], y: [this.data.start[1]], name: this.text.start,
      marker: { symbol: "star", size: 16 * this.scale(), color: "#000000", line: { color: "#ffffff", width: 1 } },
      hovertemplate: this.text.start + " (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend: false });
    traces.push({ type: "scatter", mode: "markers", x: s.minima.map((m) => m[0]), y: s.minima.map((m) => m[1]), customdata: s.minima.map((m) => m[2]),
      name: this.text.minimum, showlegend: false,
      marker: { symbol: "circle-open-dot", size: 15 * this.scale(), color: "#000000", line: { color: "#000000", width: 2.5 } },
      hovertemplate: this.text.minimum + " (%{x:.4g}, %{y:.4g})<br>f = %{customdata:.6g}<extra></extra>" });
    const legend = this.legendTrace();
    if (legend) traces.push(legend);
    if (s.saddles.length) {
      traces.push({ type: "scatter", mode: "markers", x: s.saddles.map((m) => m[0]), y: s.saddles.map((m) => m[1]), name: this.text.saddle, showlegend: false,
        marker: { symbol: "diamond-open", size: 12 * this.scale(), color: "#000000", line: { color: "#000000", width: 2 } },
        hovertemplate: this.text.saddle + " (%{x:.4g}, %{y:.4g})<extra></extra>" });
    }
    return traces;
  }

  // What the greys mean: a colour bar beside the plot, of f, or of f − f* on a log scale where
  // the shading is logarithmic (ticks at whole powers of ten). Its one point is never drawn.
  legendTrace() {
    const g = this.scene.legend;
    if (!g) return null;
    const k = this.scale(), n = g.greys.length, scale = [];
    g.greys.forEach((c, i) => { scale.push([i / n, c], [(i + 1) / n, c]); });
    const bar = { title: { text: g.log ? "f − f*" : "f", side: "top", font: { size: 12 * k } }, thickness: 10 * k, len: 1, lenmode: "fraction",
      x: 1, xpad: 6 * k, y: 0.5, outlinewidth: 0, tickfont: { size: 11 * k }, ticks: "outside", ticklen: 3 };
    if (g.log) {
      const decades = [];
      for (let d = Math.ceil(g.low); d <= Math.floor(g.high); d++) decades.push(d);
      const every = Math.max(1, Math.ceil(decades.length / 6));
      const shown = decades.filter((d, i) => i % every === 0);
      bar.tickvals = shown;
      bar.ticktext = shown.map((d) => "10<sup>" + String(d).replace("-", "−") + "</sup>");
    }
    return { type: "scatter", mode: "markers", x: [null], y: [null], hoverinfo: "skip", showlegend: false,
      marker: { color: [g.low], cmin: g.low, cmax: g.high, colorscale: scale, showscale: true, colorbar: bar } };
  }

  layout() {
    const s = this.scene, [[x0, x1], [y0, y1]] = s.domain, c = theme(this.root), k = this.scale(), shape = this.shape();
    const big = k > 1 ? 14 / 12 : 1; // a projector's ticks: 28 px at 1080 px
    const axis = (title, lo, hi) => ({ range: [lo, hi], showgrid: false, zeroline: false, title: { text: title }, constrain: "domain",
      color: c.text, linecolor: c.line, mirror: true, showline: true, ticks: "outside", tickfont: { size: 12 * k * big }, automargin: true });
    const annotations = shape.equal ? [] : [{ // the eye reads a square as the surface's shape: it is not
      xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left", yanchor: "bottom", yshift: 4, showarrow: false, align: "left",
      text: "⚠ " + escapeText(this.text.not_to_scale.replace("{n}", formatRatio(shape.stretch))).replace(/\n/g, "<br>"),
      font: { size: 12 * k, color: c.text } }];
    return {
      xaxis: axis(this.text.x_axis || "x", x0, x1),
      yaxis: shape.equal ? { ...axis(this.text.y_axis || "y", y0, y1), scaleanchor: "x" } : axis(this.text.y_axis || "y", y0, y1),
      annotations,
      images: [{ source: s.background, xref: "x", yref: "y", x: x0, y: y1, sizex: x1 - x0, sizey: y1 - y0, sizing: "stretch", layer: "below" }],
      margin: { l: 48 * k, r: 8, t: shape.equal ? 8 : 40 * k, b: 40 * k }, // the colour bar takes its room (automargin)
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: c.text, size: 13 * k },
      hovermode: "closest", dragmode: "pan", showlegend: false, uirevision: s.id,
      autosize: true,
    };
  }

  renderRunsTable() {
    const table = this.root.querySelector(".ovp-runs");
    table.innerHTML = "";
    const header = table.insertRow();
    for (const key of ["run", "loss"]) { const th = document.createElement("th"); th.textContent = this.text[key]; header.appendChild(th); }
    this.cells = this.runs.map((r) => {
      const row = table.insertRow();
      const name = row.insertCell();
      const icon = document.createElement("canvas");
      icon.width = icon.height = 18; icon.className = "ovp-icon";
      const ctx = icon.getContext("2d");
      ctx.fillStyle = r.colour; ctx.strokeStyle = "#ffffff"; shape(ctx, SYMBOLS[r.symbol % SYMBOLS.length], 9, 9, 6); ctx.fill(); ctx.stroke();
      name.appendChild(icon);
      name.appendChild(document.createTextNode(" " + r.label)); // text, never HTML
      const twin = this.runs.find((other) => other.id === r.id && other.index < r.index);
      if (twin) { // drawn exactly under its twin: say so, or the student looks for a missing run
        const same = document.createElement("div");
        same.className = "ovp-same";
        same.textContent = this.text.same_path.replace("{name}", twin.label);
        name.appendChild(same);
      }
      const loss = row.insertCell(); loss.className = "ovp-loss";
      return loss;
    });
  }

  // --------------------------------------------------------------------------- geometry

  plotArea() {
    const fl = this.gd._fullLayout;
    if (!fl || !fl.xaxis) return null;
    return { xa: fl.xaxis, ya: fl.yaxis, left: fl.xaxis._offset, top: fl.yaxis._offset, width: fl.xaxis._length, height: fl.yaxis._length };
  }

  resize() {
    const area = this.plotArea();
    if (!area) return;
    if (this.P) this.P.Plots.resize(this.gd);
    const ratio = window.devicePixelRatio || 1;
    for (const canvas of [this.trails, this.heads]) {
      canvas.style.left = area.left + "px"; canvas.style.top = area.top + "px";
      canvas.style.width = area.width + "px"; canvas.style.height = area.height + "px";
      canvas.width = Math.max(1, Math.round(area.width * ratio)); canvas.height = Math.max(1, Math.round(area.height * ratio));
    }
    this.ratio = ratio;
    this.drawnTo = -1;
    this.draw();
  }

  // data -> canvas pixels (unclamped)
  toPixel(area, x, y) {
    return [area.xa.l2p(x) * this.ratio, area.ya.l2p(y) * this.ratio];
  }

  // --------------------------------------------------------------------------- drawing

  go(step) {
    if (this.held) step = 0;
    const target = Math.max(0, Math.min(this.steps, Math.round(step)));
    this.step = target;
    this.scrub.value = String(target);
    this.draw();
    this.showStep();
    if (!this.playing) this.report();
    this.announce();
  }

  // Every per-step figure of the page (the loss chart, the 3-D view, ...) follows the player:
  // it hears the step on the window ("optviz:step"), and moves the player with "optviz:seek".
  announce() {
    const detail = { step: this.step, steps: this.steps, playing: this.playing, race: this.data ? this.data.race : null };
    window.__optvizStep = detail; // a figure drawn later starts at the player's step
    window.dispatchEvent(new CustomEvent("optviz:step", { detail }));
  }

  draw() {
    const area = this.plotArea();
    if (!area || !this.runs) return;
    const k = this.scale(), r = this.ratio;
    const tctx = this.trails.getContext("2d");
    if (this.step < this.drawnTo || this.drawnTo < 0) {
      tctx.clearRect(0, 0, this.trails.width, this.trails.height);
      if (!this.held) this.drawGhosts(tctx, area); // a held race gives nothing away
      this.drawnTo = 0;
    }
    // Extend every path from drawnTo to step: only the new segments are drawn.
    tctx.lineWidth = 2.5 * k * r; tctx.lineJoin = "round"; tctx.lineCap = "round";
    for (const run of this.runs) {
      const last = Math.min(this.step, run.x.length - 1);
      if (last <= this.drawnTo) continue;
      tctx.strokeStyle = run.colour; tctx.globalAlpha = 1;
      tctx.beginPath();
      let [px, py] = this.toPixel(area, run.x[this.drawnTo], run.y[this.drawnTo]);
      tctx.moveTo(px, py);
      for (let i = this.drawnTo + 1; i <= last; i++) {
        [px, py] = this.toPixel(area, run.x[i], run.y[i]);
        tctx.lineTo(px, py);
      }
      tctx.stroke();
    }
    this.drawnTo = Math.max(this.drawnTo, this.step);
    // Heads and divergence marks, above everything else.
    const hctx = this.heads.getContext("2d");
    hctx.clearRect(0, 0, this.heads.width, this.heads.height);
    const labels = []; // the divergence labels already placed: another one moves down past them
    for (const run of this.runs) {
      const i = Math.min(this.step, run.x.length - 1);
      const diverged = run.diverged_at !== null && this.step >= run.diverged_at;
      let [px, py] = this.toPixel(area, run.x[i], run.y[i]);
      if (diverged) {
        [px, py] = this.edgePoint(area, run);
        hctx.fillStyle = run.colour; hctx.strokeStyle = "#000000"; hctx.lineWidth = 1.5 * r;
        shape(hctx, "x", px, py, 9 * k * r); hctx.fill(); hctx.stroke();
        // Dark words edged in white: the surface is light in either theme.
        hctx.font = `600 ${12 * k * r}px sans-serif`; hctx.lineJoin = "round";
        const label = this.text.diverged_at.replace("{step}", run.diverged_at);
        const w = hctx.measureText(label).width;
        const lx = Math.min(Math.max(px - w / 2, 2), this.heads.width - w - 2), lh = 16 * k * r;
        let ly = py < 30 * r ? py + 24 * k * r : py - 14 * k * r;
        for (let moved = 0; moved < labels.length + 1; moved++) {
          const hit = labels.find((b) => lx < b.x + b.w && b.x < lx + w && ly - lh < b.y && b.y - lh < ly);
          if (!hit) break;
          ly = hit.y + lh > this.heads.height - 4 ? hit.y - lh : hit.y + lh;
        }
        labels.push({ x: lx, y: ly, w });
        hctx.strokeStyle = "#ffffff"; hctx.lineWidth = 3 * r; hctx.strokeText(label, lx, ly);
        hctx.fillStyle = "#1a1a1a"; hctx.fillText(label, lx, ly);
        continue;
      }
      const off = this.offPlot(px, py);
      run.off = Boolean(off);
      if (off) [px, py] = off.at; // outside the frame: inside its edge, and an arrow to where it is
      hctx.fillStyle = run.colour; hctx.strokeStyle = off ? "#000000" : "#ffffff"; hctx.lineWidth = 1.5 * r;
      shape(hctx, SYMBOLS[run.symbol % SYMBOLS.length], px, py, 7 * k * r); hctx.fill(); hctx.stroke();
      if (off) {
        const [dx, dy] = off.dir, from = 10 * k * r, to = 30 * k * r;
        arrow(hctx, px + dx * from, py + dy * from, px + dx * to, py + dy * to, ARROWS.step, run.colour, k * r);
      }
    }
    if (!this.drawForces(hctx, area) && this.data.inspect) this.drawArrows(hctx, area);
    this.showOff();
    this.drawData();
  }

  // A data surface's data and, for each run, its model at the current step (the line through
  // the bills and tips, the logistic curve over the petal widths), as TensorFlow Playground
  // shows its data: the race's x and y are the model's parameters, and this is what they draw.
  drawData() {
    const view = this.scene && this.scene.data, box = this.root.querySelector(".ovp-data");
    box.hidden = !view;
    if (!view || !this.runs) return;
    const canvas = box.querySelector("canvas"), r = window.devicePixelRatio || 1, k = this.scale();
    const width = Math.max(160, box.clientWidth), height = Math.round(width * 0.7);
    if (canvas.width !== Math.round(width * r)) {
      canvas.width = Math.round(width * r); canvas.height = Math.round(height * r);
      canvas.style.width = width + "px"; canvas.style.height = height + "px";
    }
    box.querySelector("figcaption").textContent = this.text.data_title;
    const ctx = canvas.getContext("2d"), c = theme(this.root);
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const fx = view.feature, fy = view.target;
    if (!view.bounds) { // the data's extent, padded: found once per scene, not every frame
      const [a0, a1, b0, b1] = [Math.min(...fx), Math.max(...fx), Math.min(...fy), Math.max(...fy)];
      const pu = (a1 - a0) * 0.05 || 1, pv = (b1 - b0) * 0.08 || 1;
      view.bounds = { u0: a0 - pu, u1: a1 + pu, v0: b0 - pv, v1: b1 + pv, du: pu, dv: pv };
    }
    const { u0, u1, v0, v1, du, dv } = view.bounds;
    const pad = { l: 34 * k, r: 6, t: 6, b: 30 * k }, w = width - pad.l - pad.r, h = height - pad.t - pad.b;
    const px = (u) => pad.l + ((u - u0) / (u1 - u0)) * w, py = (v) => pad.t + (1 - (v - v0) / (v1 - v0)) * h;
    ctx.font = `${10 * k}px sans-serif`; ctx.fillStyle = c.text; ctx.strokeStyle = c.line; ctx.lineWidth = 1;
    ctx.strokeRect(pad.l, pad.t, w, h);
    for (const [value, at, axis] of [[u0 + du, px(u0 + du), "x"], [u1 - du, px(u1 - du), "x"], [v0 + dv, py(v0 + dv), "y"], [v1 - dv, py(v1 - dv), "y"]]) {
      const label = Number(value.toPrecision(3)).toString();
      if (axis === "x") { ctx.textAlign = "center"; ctx.fillText(label, at, pad.t + h + 12 * k); }
      else { ctx.textAlign = "right"; ctx.fillText(label, pad.l - 4, at + 3 * k); }
    }
    ctx.textAlign = "center"; ctx.fillText(this.text.data_x || "", pad.l + w / 2, height - 4);
    ctx.save(); ctx.translate(9 * k, pad.t + h / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(this.text.data_y || "", 0, 0); ctx.restore();
    ctx.save(); ctx.beginPath(); ctx.rect(pad.l, pad.t, w, h); ctx.clip();
    ctx.fillStyle = "rgba(128, 128, 128, 0.55)";
    for (let i = 0; i < fx.length; i++) { ctx.beginPath(); ctx.arc(px(fx[i]), py(fy[i]), 2.2 * k, 0, 2 * Math.PI); ctx.fill(); }
    ctx.lineWidth = 2.5 * k;
    for (const run of this.runs) {
      const i = Math.min(this.step, run.x.length - 1), a = run.x[i], b = run.y[i];
      if (!Number.isFinite(a) || !Number.isFinite(b) || (run.diverged_at !== null && this.step >= run.diverged_at)) continue;
      ctx.strokeStyle = run.colour; ctx.beginPath();
      for (let j = 0; j <= 48; j++) {
        const u = u0 + ((u1 - u0) * j) / 48, z = a * ((u - view.centre) / view.scale) + b;
        const v = view.model === "logistic" ? 1 / (1 + Math.exp(-z)) : z;
        j ? ctx.lineTo(px(u), py(v)) : ctx.moveTo(px(u), py(v));
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  // A head outside the plot: where to draw it (on the frame, inside its margin) and the way
  // out towards the point; null when the point is inside.
  offPlot(px, py) {
    const w = this.heads.width, h = this.heads.height, pad = 34 * this.scale() * this.ratio;
    if (px >= 0 && px <= w && py >= 0 && py <= h) return null;
    const cx = w / 2, cy = h / 2;
    let dx = px - cx, dy = py - cy;
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) { dx = Number.isFinite(dx) ? dx : Math.sign(px) || 1; dy = Number.isFinite(dy) ? dy : 0; }
    const norm = Math.hypot(dx, dy) || 1;
    const t = Math.min((w / 2 - pad) / Math.abs(dx || 1e-9), (h / 2 - pad) / Math.abs(dy || 1e-9));
    return { at: [cx + dx * t, cy + dy * t], dir: [dx / norm, dy / norm] };
  }

  // The step inspector's arrows at step k, from the point the step left, theta_{k-1}: the step
  // itself (to theta_k, true length), and at a fixed length (their direction only) the way
  // downhill, -g_k, and the velocity's push, -v_k (the rules subtract it). Kept in
  // this.arrows, in canvas pixels, for the tests.
  drawArrows(ctx, area) {
    this.arrows = [];
    const k = this.step, s = this.scale(), r = this.ratio, only = this.data.inspect.run;
    if (k < 1) return;
    const length = 46 * s * r;
    const perX = area.xa.l2p(1) - area.xa.l2p(0), perY = area.ya.l2p(1) - area.ya.l2p(0); // pixels per unit
    for (const run of this.runs) {
      if (!run.vectors || (only !== null && only !== run.index) || k >= run.x.length) continue;
      if (run.diverged_at !== null && k >= run.diverged_at) continue;
      const [x0, y0] = this.toPixel(area, run.x[k - 1], run.y[k - 1]);
      const [x1, y1] = this.toPixel(area, run.x[k], run.y[k]);
      const fixed = (vx, vy) => {
        const dx = -vx * perX * r, dy = -vy * perY * r, norm = Math.hypot(dx, dy);
        return norm > 0 && Number.isFinite(norm) ? [x0 + (dx / norm) * length, y0 + (dy / norm) * length] : null;
      };
      const v = run.vectors;
      const arrows = [["step", [x1, y1]], ["gradient", fixed(v.gx[k], v.gy[k])]];
      if (v.vx) arrows.push(["velocity", fixed(v.vx[k], v.vy[k])]);
      for (const [kind, end] of arrows) {
        if (!end) continue;
        arrow(ctx, x0, y0, end[0], end[1], ARROWS[kind], kind === "step" ? run.colour : ARROWS[kind].fill, s * r);
        this.arrows.push({ run: run.index, kind, from: [x0, y0], to: end });
      }
    }
  }

  renderArrowsKey() {
    const key = this.root.querySelector(".ovp-arrows");
    key.innerHTML = "";
    if (!this.data.inspect || this.forcesOn()) return; // the forces' key says it all then
    for (const kind of ["step", "gradient", "velocity"]) {
      const row = document.createElement("div");
      const icon = document.createElement("canvas");
      icon.width = 34; icon.height = 14; icon.className = "ovp-icon ovp-arrow-icon"; // on the map's grey, as drawn
      arrow(icon.getContext("2d"), 3, 7, 31, 7, ARROWS[kind], kind === "step" ? "#777777" : ARROWS[kind].fill, 0.8);
      row.appendChild(icon);
      row.appendChild(document.createTextNode(" " + this.data.inspect.text["arrow_" + kind]));
      key.appendChild(row);
    }
  }

  // ------------------------------------------------------------------------- the forces

  // The forces are drawn when Python sent them (asked for and admitted: data.forces.shown) and the
  // button has not just switched them off; the button's own state is what was last asked for.
  forcesPressed() {
    const f = this.data && this.data.forces;
    return this.forcesWanted === null || this.forcesWanted === undefined ? Boolean(f && f.asked) : this.forcesWanted;
  }

  forcesOn() {
    const f = this.data && this.data.forces;
    return Boolean(f && f.shown) && this.forcesPressed();
  }

  // The button tells Python (which keeps the switch in the link, and sends the vectors when they
  // are not here yet); switched off, they go at once.
  toggleForces() {
    if (!this.data || !this.data.forces) return;
    this.forcesWanted = !this.forcesPressed();
    if (this.setTriggerValue) this.setTriggerValue("forces", this.forcesWanted);
    this.renderForces();
    this.renderArrowsKey();
    this.draw();
  }

  // Python's word is the truth again at each update: its button, its key.
  showForces() {
    this.forcesWanted = null;
    this.renderForces();
  }

  renderForces() {
    const f = this.data.forces, button = this.root.querySelector(".ovp-forces");
    button.hidden = !f;
    const key = this.root.querySelector(".ovp-forces-key");
    key.innerHTML = "";
    if (!f) return;
    button.title = f.text.button; button.setAttribute("aria-label", f.text.button);
    button.setAttribute("aria-pressed", String(this.forcesPressed()));
    if (!this.forcesOn()) return;
    const t = f.text, has = (name) => this.runs.some((run) => run.vectors && run.vectors[name]);
    const heading = document.createElement("div");
    heading.className = "ovp-forces-heading"; heading.textContent = t.heading;
    key.appendChild(heading);
    const row = (draw, words, height = 20) => {
      const line = document.createElement("div"), icon = document.createElement("canvas");
      icon.width = 34; icon.height = height; icon.className = "ovp-icon ovp-arrow-icon"; // on the map's grey, as drawn
      draw(icon.getContext("2d"));
      line.appendChild(icon);
      line.appendChild(document.createTextNode(" " + words)); // the catalog's words, as text
      key.appendChild(line);
    };
    row((ctx) => arrow(ctx, 3, 10, 31, 10, ARROWS.step, "#777777", 0.8), t.step);
    row((ctx) => arrow(ctx, 3, 10, 31, 10, ARROWS.gradient, ARROWS.gradient.fill, 0.8), t.gradient);
    if (has("vx")) row((ctx) => arrow(ctx, 3, 10, 31, 10, ARROWS.velocity, ARROWS.velocity.fill, 0.8), t.velocity);
    if (has("ex")) {
      row((ctx) => square(ctx, 17, 15, FORCES.side, FORCES.side, "#777777", false, 1), t.squares, 30); // its true size
      row((ctx) => square(ctx, 17, 10, 28, 14, "#777777", true, 1), t.capped.replace("{n}", FORCES.cap));
    }
  }

  // At step k, for every run, where the step began (theta_{k-1}): the step itself, to the head
  // theta_k at its true length in the run's colour; the way downhill, -g_k, and the velocity's
  // push, -v_k, in their directions on screen, FORCES.unit px long for a vector of length 1 and
  // FORCES.perTen px more for each tenfold (between FORCES.least and FORCES.most); and for a rule
  // with accumulated squares a rectangle centred there whose width and height are the effective
  // step size in x and in y, FORCES.side px for the run's plain learning rate (cut at FORCES.cap
  // times that, dashed). Kept in this.forces, in canvas pixels, for the tests. False when the
  // forces are off (the inspector's arrows may be drawn instead).
  drawForces(ctx, area) {
    this.forces = [];
    if (!this.forcesOn()) return false;
    const k = this.step, s = this.scale() * this.ratio;
    if (k < 1) return true;
    const perX = (area.xa.l2p(1) - area.xa.l2p(0)) * this.ratio, perY = (area.ya.l2p(1) - area.ya.l2p(0)) * this.ratio;
    const side = FORCES.side * s, cap = FORCES.cap * side;
    for (const run of this.runs) {
      const v = run.vectors;
      if (!v || k >= run.x.length || k >= v.gx.length || (run.diverged_at !== null && k >= run.diverged_at)) continue;
      const [x0, y0] = this.toPixel(area, run.x[k - 1], run.y[k - 1]);
      const [x1, y1] = this.toPixel(area, run.x[k], run.y[k]);
      if (![x0, y0, x1, y1].every(Number.isFinite)) continue;
      if (v.ex && Number.isFinite(v.ex[k]) && Number.isFinite(v.ey[k])) {
        const ex = Math.abs(v.ex[k]), ey = Math.abs(v.ey[k]);
        const capped = ex * side > cap || ey * side > cap;
        const w = Math.min(ex * side, cap), h = Math.min(ey * side, cap);
        square(ctx, x0, y0, w, h, run.colour, capped, s);
        this.forces.push({ run: run.index, kind: "squares", at: [x0, y0], size: [w, h], relative: [ex, ey], capped });
      }
      const pushed = (vx, vy) => {
        const dx = -vx * perX, dy = -vy * perY, norm = Math.hypot(dx, dy), size = Math.hypot(vx, vy);
        if (!(norm > 0) || !Number.isFinite(norm) || !(size > 0)) return null;
        const length = s * Math.min(FORCES.most, Math.max(FORCES.least, FORCES.unit + FORCES.perTen * Math.log10(size)));
        return [x0 + (dx / norm) * length, y0 + (dy / norm) * length];
      };
      const arrows = [["gradient", pushed(v.gx[k], v.gy[k])]];
      if (v.vx) arrows.push(["velocity", pushed(v.vx[k], v.vy[k])]);
      arrows.push(["step", [x1, y1]]); // last: on top
      for (const [kind, end] of arrows) {
        if (!end) continue;
        arrow(ctx, x0, y0, end[0], end[1], ARROWS[kind], kind === "step" ? run.colour : ARROWS[kind].fill, s);
        this.forces.push({ run: run.index, kind, from: [x0, y0], to: end });
      }
    }
    return true;
  }

  // Tell Python the step the player rests on, once it rests (not while playing), and only when
  // it differs from the step the panel shows.
  report() {
    if (!this.data || !this.data.inspect || !this.setStateValue) return;
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      if (this.playing || this.step === this.reported) return;
      this.reported = this.step;
      this.setStateValue("step", this.step);
    }, 150);
  }

  drawGhosts(ctx, area) {
    const k = this.scale();
    ctx.lineWidth = 1.5 * k * this.ratio; ctx.globalAlpha = 0.28;
    for (const run of this.runs) {
      ctx.strokeStyle = run.colour;
      ctx.beginPath();
      for (let i = 0; i < run.x.length; i++) {
        const [px, py] = this.toPixel(area, run.x[i], run.y[i]);
        i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  // Where a diverged run left the frame: its last finite point, pulled onto the frame's edge
  // along the line from the point before it.
  edgePoint(area, run) {
    const k = run.diverged_at - 1;
    const [bx, by] = this.toPixel(area, run.x[Math.max(k - 1, 0)], run.y[Math.max(k - 1, 0)]);
    let [px, py] = this.toPixel(area, run.x[k], run.y[k]);
    const w = this.heads.width, h = this.heads.height, pad = 10 * this.ratio;
    if (!Number.isFinite(px) || !Number.isFinite(py)) { px = bx; py = by; }
    if (px >= pad && px <= w - pad && py >= pad && py <= h - pad) return [px, py];
    let t = 1;
    const dx = px - bx, dy = py - by;
    if (px < pad) t = Math.min(t, (pad - bx) / dx);
    if (px > w - pad) t = Math.min(t, (w - pad - bx) / dx);
    if (py < pad) t = Math.min(t, (pad - by) / dy);
    if (py > h - pad) t = Math.min(t, (h - pad - by) / dy);
    if (!Number.isFinite(t) || t < 0) t = 0;
    return [Math.min(Math.max(bx + t * dx, pad), w - pad), Math.min(Math.max(by + t * dy, pad), h - pad)];
  }

  showStep() {
    this.root.querySelector(".ovp-step").textContent = this.text.step_of.replace("{step}", this.step).replace("{steps}", this.steps);
    this.runs.forEach((run, i) => {
      const j = Math.min(this.step, run.gap.length - 1);
      const diverged = run.diverged_at !== null && this.step >= run.diverged_at;
      this.cells[i].textContent = diverged ? this.text.diverged_at.replace("{step}", run.diverged_at) : formatLoss(this.scene.f_star + run.gap[j]);
    });
    this.showOff();
    this.root.dataset.step = String(this.step);
  }

  // The runs table marks the heads that are outside the plot (drawn on its edge), and one line
  // under it says what the mark means.
  showOff() {
    if (!this.cells) return;
    let any = false;
    this.runs.forEach((run, i) => {
      const diverged = run.diverged_at !== null && this.step >= run.diverged_at;
      const off = Boolean(run.off) && !diverged;
      this.cells[i].classList.toggle("ovp-off", off);
      any = any || off;
    });
    const note = this.root.querySelector(".ovp-offnote");
    note.textContent = any ? "↗ " + this.text.off_plot : "";
  }

  // --------------------------------------------------------------------------- playing

  toggle() { this.playing ? this.pause() : this.play(); }

  // Held: the start only, no controls, and the message that says why (a question comes first).
  hold(message) {
    if (this.held !== Boolean(message)) this.drawnTo = -1; // the ghosts come or go
    this.held = Boolean(message);
    if (this.held) this.pause();
    this.root.classList.toggle("ovp-held", this.held);
    this.root.querySelector(".ovp-hold").textContent = message || "";
    for (const el of this.root.querySelectorAll(".ovp-controls button, .ovp-controls input")) el.disabled = this.held;
  }

  play() {
    if (this.held) return;
    if (this.step >= this.steps) this.go(0);
    this.playing = true;
    this.root.querySelector(".ovp-play").innerHTML = ICONS.pause;
    let last = performance.now(), carry = 0;
    const tick = (now) => {
      if (!this.playing) return;
      carry += ((now - last) / 1000) * this.stepsPerSecond();
      last = now;
      const advance = Math.floor(carry);
      if (advance > 0) {
        carry -= advance;
        let next = this.step + advance;
        if (next >= this.steps) {
          if (this.loop) next = next % (this.steps + 1);
          else { this.go(this.steps); this.pause(); return; }
        }
        this.go(next);
      }
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.root.querySelector(".ovp-play").innerHTML = ICONS.play;
    this.report();
    if (this.runs) this.announce();
  }

  key(e) {
    if (this.held) return;
    const actions = {
      ArrowRight: () => this.go(this.step + 1), ArrowLeft: () => this.go(this.step - 1),
      Home: () => this.go(0), End: () => this.go(this.steps), " ": () => this.toggle(),
    };
    if (e.target.tagName === "INPUT" && e.target.type === "range" && e.key.startsWith("Arrow")) return;
    if (actions[e.key]) { e.preventDefault(); if (e.key !== " ") this.pause(); actions[e.key](); }
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else this.root.requestFullscreen().catch(() => {});
  }

  // A click (not a drag) inside the plot area sets the start exactly there.
  // A click (not a drag) inside the plot area sets the start exactly there. The point is read
  // when the button goes down, before Plotly handles the gesture.
  press(e) {
    const area = this.plotArea();
    if (!area || onModebar(e)) { this.down = null; return; } // a modebar button is no start
    const box = this.gd.getBoundingClientRect();
    const px = e.clientX - box.left - area.left, py = e.clientY - box.top - area.top;
    const inside = px >= 0 && py >= 0 && px <= area.width && py <= area.height;
    this.down = { at: [e.clientX, e.clientY], point: inside ? [area.xa.p2l(px), area.ya.p2l(py)] : null };
  }

  click(e) {
    const down = this.down;
    this.down = null;
    if (!down || !down.point || Math.hypot(e.clientX - down.at[0], e.clientY - down.at[1]) > 4) return;
    this.setTriggerValue("clicked", { x: down.point[0], y: down.point[1], at: Date.now() });
  }
}

// The inspector's arrows: the step in its run's colour; -g white and the velocity black, each
// edged in the other so that it shows on any part of the surface.
const ARROWS = {
  step: { width: 3, edge: "#000000" },
  gradient: { width: 2.5, fill: "#ffffff", edge: "#000000" },
  velocity: { width: 2.5, fill: "#000000", edge: "#ffffff" },
};

// The forces' sizes, in CSS pixels (times the projector's scale): -g and the velocity UNIT long
// for a vector of length 1, PER_TEN more for each tenfold, between LEAST and MOST; an adaptive
// run's rectangle SIDE a side for its plain learning rate, cut at CAP times that.
const FORCES = { unit: 30, perTen: 10, least: 10, most: 70, side: 24, cap: 5 };
// Whether the player's data brings each run's vectors: the inspector's, or the forces'.
const wantsVectors = (data) => Boolean(data.inspect || (data.forces && data.forces.shown));

// An effective step size's rectangle, centred on (x, y): a pale fill in the run's colour, its edge
// in the colour over a dark line (read on the light and the dark greys), dashed when cut.
function square(ctx, x, y, w, h, colour, dashed, k) {
  ctx.save();
  ctx.beginPath(); ctx.rect(x - w / 2, y - h / 2, w, h);
  ctx.globalAlpha = 0.25; ctx.fillStyle = colour; ctx.fill(); ctx.globalAlpha = 1;
  if (dashed) ctx.setLineDash([4 * k, 3 * k]);
  ctx.strokeStyle = "#000000"; ctx.lineWidth = 3.5 * k; ctx.stroke();
  ctx.strokeStyle = colour; ctx.lineWidth = 2 * k; ctx.stroke();
  ctx.restore();
}

function arrow(ctx, x0, y0, x1, y1, style, colour, k) {
  const dx = x1 - x0, dy = y1 - y0, norm = Math.hypot(dx, dy);
  if (!(norm > 0)) return;
  const ux = dx / norm, uy = dy / norm, head = Math.min(10 * k, norm * 0.6), wing = head * 0.55;
  const path = () => {
    ctx.beginPath();
    ctx.moveTo(x0, y0); ctx.lineTo(x1 - ux * head * 0.8, y1 - uy * head * 0.8);
  };
  const tip = () => {
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - ux * head - uy * wing, y1 - uy * head + ux * wing);
    ctx.lineTo(x1 - ux * head + uy * wing, y1 - uy * head - ux * wing);
    ctx.closePath();
  };
  ctx.save();
  ctx.lineCap = "round"; ctx.lineJoin = "round";
  path(); ctx.strokeStyle = style.edge; ctx.lineWidth = (style.width + 2) * k; ctx.stroke();
  tip(); ctx.lineWidth = 2 * k; ctx.stroke();
  path(); ctx.strokeStyle = colour; ctx.lineWidth = style.width * k; ctx.stroke();
  tip(); ctx.fillStyle = colour; ctx.fill();
  ctx.restore();
}

// Text for Plotly, which reads <br>, <b> and the like in it: a name or a word stays a word.
function escapeText(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// How many times one axis' range is the other's, to two digits: 12, 150, 3500.
function formatRatio(v) {
  return String(Number(v.toPrecision(2)));
}

function formatLoss(v) {
  if (!Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

// The page's colours, for Plotly: text in the theme's colour, transparent backgrounds.
function theme(element) {
  const style = getComputedStyle(element);
  const text = style.color || "#31333F";
  return { text, grid: "rgba(128,128,128,0.28)", line: "rgba(128,128,128,0.55)" };
}

function themed(layout, element) {
  const c = theme(element);
  const axis = (a) => ({ ...a, color: c.text, gridcolor: c.grid, linecolor: c.line, zerolinecolor: c.line });
  const out = { ...layout, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { ...(layout.font || {}), color: c.text } };
  for (const key of Object.keys(layout)) {
    if (/^[xy]axis\d*$/.test(key)) out[key] = axis(layout[key]);
  }
  if (layout.scene) {
    out.scene = { ...layout.scene };
    for (const a of ["xaxis", "yaxis", "zaxis"]) out.scene[a] = { ...axis(layout.scene[a] || {}), backgroundcolor: "rgba(0,0,0,0)" };
  }
  if (layout.legend) out.legend = { ...layout.legend, font: { ...(layout.legend.font || {}), color: c.text } };
  return out;
}

// A trace whose values the race already brought: {run, n, floor, tail} in place of x and y.
// y is the run's f − f* at steps 0 .. n-1, raised to the axis' floor; the tail is a last point
// (where a diverged run's line meets the top edge). The rule lives in Python; this only fills.
function fromCache(trace) {
  const ref = trace.fromRace;
  if (!ref) return trace;
  const run = CACHE.get(ref.run);
  const { fromRace, ...rest } = trace;
  if (!run) return { ...rest, x: [], y: [] };
  const n = ref.n + (ref.tail ? 1 : 0);
  const x = new Float64Array(n), y = new Float32Array(n);
  for (let i = 0; i < ref.n; i++) { x[i] = i; y[i] = Math.max(run.gap[i], ref.floor); }
  if (ref.tail) { x[n - 1] = ref.tail[0]; y[n - 1] = ref.tail[1]; }
  return { ...rest, x, y };
}

// Plotly's modebar floats over the top right of the plot: a press on one of its buttons is not a
// click on the plot.
const onModebar = (e) => Boolean(e.target.closest && e.target.closest(".modebar"));

// Any other figure of the page (loss per step, 3-D view, ...), drawn with the same plotly.js.
// A figure that can be clicked says where: "points" sends the clicked point's x, y and
// customdata (Plotly's own hit test: a curve's point, a heatmap's cell); "plane" sends the
// data coordinates under the pointer anywhere in the plot (an image has no points).
function watchClicks(root, gd, setTriggerValue) {
  if (root.__clicks) return;
  root.__clicks = true;
  gd.on("plotly_click", (event) => {
    if (root.__click !== "points" || !event.points || !event.points.length) return;
    const p = event.points[0];
    setTriggerValue("clicked", { x: p.x, y: p.y, customdata: p.customdata ?? null, at: Date.now() });
  });
  let down = null;
  gd.addEventListener("mousedown", (e) => { down = onModebar(e) ? null : [e.clientX, e.clientY]; });
  gd.addEventListener("click", (e) => {
    const fl = gd._fullLayout;
    if (root.__click !== "plane" || !down || !fl || !fl.xaxis) return;
    if (Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return; // a drag, not a click
    const box = gd.getBoundingClientRect();
    const px = e.clientX - box.left - fl.xaxis._offset, py = e.clientY - box.top - fl.yaxis._offset;
    if (px < 0 || py < 0 || px > fl.xaxis._length || py > fl.yaxis._length) return;
    setTriggerValue("clicked", { x: fl.xaxis.p2l(px), y: fl.yaxis.p2l(py), customdata: null, at: Date.now() });
  });
}

function drawFigure(root, data, setTriggerValue) {
  let gd = root.querySelector(".ovf-gd");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "ovf-gd";
    root.appendChild(gd);
  }
  // Built when drawn, from the arrays the race has by then; drawn again when the race brings
  // new arrays (a figure may be mounted before the race it draws from).
  const usesRace = data.figure.data.some((trace) => trace.fromRace);
  const figureNow = () => ({ ...data.figure, data: data.figure.data.map(fromCache) });
  const draw = (P) => {
    const figure = figureNow();
    return P.react(gd, figure.data, themed({ ...figure.layout, autosize: true }, root), configFor(P, data));
  };
  return Promise.all([loadPlotly(data.plotly_url), Promise.race([firstRace, moment(1500)])]).then(([P]) => {
    if (!root.__sizeWatch) { // a figure in a hidden tab is drawn again at its size when shown
      root.__sizeWatch = new ResizeObserver(() => gd.offsetWidth && P.Plots.resize(gd));
      root.__sizeWatch.observe(root);
    }
    root.__redraw = usesRace ? () => draw(P) : null;
    root.__click = data.click || null;
    // What a click sends, reachable from the page (the tests send hostile clicks through it, as
    // anyone can over the websocket: the server reads every click as it reads a link).
    root.__send = setTriggerValue;
    if (!root.__raceWatch) {
      root.__raceWatch = () => root.__redraw && root.__redraw();
      window.addEventListener("optviz:race", root.__raceWatch);
    }
    return draw(P).then(() => { if (data.click) watchClicks(root, gd, setTriggerValue); });
  });
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let root = parentElement.querySelector(".ov-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "ov-root";
    parentElement.appendChild(root);
  }
  if (data.kind === "preload") { // fetch plotly.js while the rest of the page arrives
    loadPlotly(data.plotly_url).catch(() => {});
    return undefined;
  }
  if (data.kind === "figure") {
    drawFigure(root, data, setTriggerValue);
    return () => root.__sizeWatch && root.__sizeWatch.disconnect();
  }
  if (!root.__player) root.__player = new Player(root);
  root.__player.update(data, setStateValue, setTriggerValue);
  return () => root.__player.close();
}
