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
  back: svg('<path d="M17 5v14L6 12z"/>'),
  play: svg('<path d="M7 4v16l13-8z"/>'),
  replay: svg('<path d="M12 5V1L7 6l5 5V7a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z"/>'),
  pause: svg('<rect x="6" y="5" width="4" height="14"/><rect x="14" y="5" width="4" height="14"/>'),
  forward: svg('<path d="M7 5v14l11-7z"/>'),
  last: svg('<path d="M4 5v14l12-7z"/><rect x="17.5" y="5" width="2.5" height="14"/>'),
  fullscreen: svg('<path d="M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z"/>'),
  forces: svg('<path d="M4.4 21 3 19.6 15.6 7H10V5h9v9h-2V8.4z"/><circle cx="5" cy="19" r="2.2"/>'),
};

// ------------------------------------------------------------------------------ marker shapes

// A run whose rule keeps a second point (ASGD's average, schedule-free's x) has two paths: its
// iterates, (x, y), and that point, (cx, cy). One is drawn bold and one faint (thinner, at
// FAINT's opacity, a hollow ring for its head): run.companion.bold makes the second the bold one
// (an average of the iterates, the rule's answer), drawn whole each frame over the iterates'
// scribble, edged in white.
const FAINT = 0.4;
function paths(run) {
  const bold = !(run.cx && run.companion && run.companion.bold);
  const found = [{ x: run.x, y: run.y, bold, second: false }];
  if (run.cx) found.push({ x: run.cx, y: run.cy, bold: !bold, second: true });
  return found;
}

// A hollow ring in a run's colour, edged in white so that it reads on any shade.
function ring(ctx, x, y, radius, colour, ratio) {
  ctx.beginPath(); ctx.arc(x, y, radius, 0, 2 * Math.PI);
  ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 4 * ratio; ctx.stroke();
  ctx.strokeStyle = colour; ctx.lineWidth = 2 * ratio; ctx.stroke();
}

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
        <div class="ovp-plot"><div class="ovp-gd"></div><canvas class="ovp-trails"></canvas><canvas class="ovp-heads"></canvas><div class="ovp-hold" role="status"></div>
         <button class="ovp-bigplay" type="button" hidden>${ICONS.play}<span></span></button></div>
        <div class="ovp-controls">
        <button class="ovp-replay" type="button">${ICONS.replay}<span></span></button>
        <button class="ovp-back" type="button">${ICONS.back}</button>
        <button class="ovp-play" type="button">${ICONS.play}</button>
        <button class="ovp-forward" type="button">${ICONS.forward}</button>
        <button class="ovp-last" type="button">${ICONS.last}</button>
        <input class="ovp-scrub" type="range" min="0" value="0" step="1">
        <span class="ovp-break"></span>
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
    on(".ovp-back", "click", () => this.visit(this.step - 1));
    on(".ovp-play", "click", () => this.toggle());
    on(".ovp-replay", "click", () => this.replay());
    on(".ovp-bigplay", "click", () => this.play());
    on(".ovp-forward", "click", () => this.visit(this.step + 1));
    on(".ovp-last", "click", () => this.visit(this.steps));
    on(".ovp-full", "click", () => this.fullscreen());
    on(".ovp-forces", "click", () => this.toggleForces());
    this.scrub.addEventListener("input", () => this.visit(Number(this.scrub.value)));
    on(".ovp-loop", "change", (e) => { this.loop = e.target.checked; });
    this.speed.addEventListener("input", () => this.showSpeed());
    this.root.addEventListener("keydown", (e) => this.key(e));
    this.onSeek = (e) => { if (this.held || !this.runs) return; this.pause(); this.visit(Number(e.detail.step)); };
    this.onFullscreen = () => { this.fit(); this.render().then(() => this.resize()); };
    this.resizeObserver = new ResizeObserver(() => this.resize());
    // The page above the player may grow or shrink (a formula typeset, a message shown), the
    // controls may wrap, the window may change: the plot is fitted again.
    this.onWindow = () => { const k = this.k; this.fit(); if (this.P && this.scale() !== k) this.render().then(() => this.resize()); };
    this.fitObserver = new ResizeObserver(() => this.fit());
    // The start marker can be dragged: the paths follow (previews from the server), and the
    // start is set where it is let go. Taken before Plotly sees the gesture (no pan then).
    const plot = this.root.querySelector(".ovp-plot");
    plot.addEventListener("pointerdown", (e) => this.grab(e), true);
    plot.addEventListener("pointermove", (e) => this.drag(e));
    plot.addEventListener("pointerup", (e) => this.release(e));
    plot.addEventListener("pointercancel", () => this.release(null));
    plot.addEventListener("touchstart", (e) => { if (this.dragging) e.stopPropagation(); }, true);
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

  // What the player hears from outside itself (the window, the page, its own size), heard while
  // it is on the page: from open() until close(). A player moved to a new host (PLAYERS) opens
  // again there, and goes on playing if it was.
  open() {
    if (this.opened) return;
    this.opened = true;
    window.addEventListener("optviz:seek", this.onSeek);
    document.addEventListener("fullscreenchange", this.onFullscreen);
    window.addEventListener("resize", this.onWindow);
    this.resizeObserver.observe(this.root.querySelector(".ovp-plot"));
    this.fitObserver.observe(this.root.querySelector(".ovp-controls"));
    const page = this.root.closest("[data-testid='stMainBlockContainer']");
    if (page) this.fitObserver.observe(page);
    if (this.wasPlaying) { this.wasPlaying = false; this.play(); }
  }

  close() {
    if (!this.opened) return;
    this.opened = false;
    this.wasPlaying = this.playing;
    this.pause();
    this.resizeObserver.disconnect();
    this.fitObserver.disconnect();
    window.removeEventListener("resize", this.onWindow);
    window.removeEventListener("optviz:seek", this.onSeek);
    if (this.sliderWatch) { this.sliderWatch.disconnect(); this.sliderWatch = null; }
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
    // page still lacks (a reload) is asked for again. A preview's arrays (a start being dragged,
    // a slider moving) are kept only while it is shown: a long drag does not fill the page.
    const previewed = new Map();
    for (const r of data.runs) {
      if (r.arrays) {
        const arrays = Object.fromEntries(Object.entries(r.arrays).map(([k, v]) => [k, decode(v)])); // x, y, gap (cx, cy; px, py, ps)
        if (data.preview) previewed.set(r.id, arrays); else CACHE.set(r.id, arrays);
      }
      if (r.inspect) CACHE.set(r.id + ":inspect", Object.fromEntries(Object.entries(r.inspect).map(([k, v]) => [k, decode(v)])));
    }
    if (data.scene.background) CACHE.set(data.scene.id, data.scene);
    const arraysOf = (id) => previewed.get(id) || CACHE.get(id);
    const missing = [...new Set(data.runs.filter((r) => !arraysOf(r.id)).map((r) => r.id))];
    if (!CACHE.has(data.scene.id)) missing.push(data.scene.id);
    if (wantsVectors(data) && !data.preview) missing.push(...new Set(data.runs.filter((r) => !CACHE.has(r.id + ":inspect")).map((r) => r.id + ":inspect")));
    if (data.preview) this.previewAnswered(data.preview);
    else if (this.previewPending) { // the page ran whole since: that preview will not come
      this.previewPending = null;
      this.sendPreview();
    }
    if (missing.length) { // a rerun brings them; asked for a few times at most, never in a loop
      if (data.preview) return Promise.resolve(); // a preview is never asked for again
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
    const atEnd = Boolean(previous) && this.step >= this.steps && !this.fresh; // the whole story was shown
    this.data = data;
    this.scene = scene;
    this.runs = data.runs.map((r, i) => ({ ...r, ...arraysOf(r.id), vectors: wantsVectors(data) ? CACHE.get(r.id + ":inspect") || null : null, index: i }));
    this.reported = data.inspect ? data.inspect.step : null; // the step Python shows
    this.root.style.setProperty("--ovp-aspect", String(this.shape().aspect));
    this.steps = data.steps;
    this.scrub.max = String(this.steps);
    this.root.querySelector(".ovp-loop-label span").textContent = this.text.loop;
    this.root.querySelector(".ovp-speed-label span").textContent = this.text.speed;
    for (const [sel, key] of [[".ovp-replay", "replay"], [".ovp-back", "back"], [".ovp-play", "play"], [".ovp-forward", "forward"], [".ovp-last", "last"], [".ovp-full", "fullscreen"], [".ovp-bigplay", "big_play"]]) {
      const b = this.root.querySelector(sel);
      b.title = this.text[key]; b.setAttribute("aria-label", this.text[key]);
    }
    this.root.querySelector(".ovp-replay span").textContent = this.text.replay_short;
    this.root.querySelector(".ovp-bigplay span").textContent = this.text.big_play;
    if (!previous || previous.speed !== data.speed) this.speed.value = String(Math.round(1000 * Math.log(data.speed) / Math.log(500)));
    this.showSpeed();
    this.scale();
    if (!data.preview || !this.cells || this.cells.length !== this.runs.length) { // a preview moves the paths only
      this.fit();
      this.renderRunsTable();
      this.renderArrowsKey();
    }
    this.watchSliders();
    this.showForces();
    // A preview changes the paths only: the plot (Plotly's part) is drawn again only when what it
    // shows changed (the surface, the start, the words, the size of things).
    // A preview's start is drawn by the canvas while it moves; the page's start, by the plot.
    if (!data.preview) { this.start = data.start; if (!this.dragging) this.movedStart = null; }
    const look = JSON.stringify([scene.id, this.start, Boolean(this.movedStart), data.text, data.projector, data.config, data.locale, this.k, theme(this.root)]);
    const same = look === this.look;
    const drawn = same ? Promise.resolve() : this.render().then(() => { this.look = look; });
    return drawn.then(() => {
      if (!this.relayoutBound) {
        this.gd.on("plotly_relayout", () => { this.drawnTo = -1; this.draw(); });
        this.relayoutBound = true;
      }
      this.drawnTo = -1;
      if (!same) this.resize(); // the plot drawn again: the canvases follow its area
      // Where the player stands once new data comes:
      // - a lesson holds its race at the start until its question is answered, then plays it;
      // - the page's first race plays from its start, so that something moves as the page opens
      //   (not where the visitor asked the browser for less motion); a fair race (ui.sweeps) too;
      // - any other race that has not been played waits at its start, with a big Play button
      //   over it and its paths drawn faintly (never "step 500 of 500" with nothing moving);
      // - a change of settings (a learning rate, the steps, the surface's parameters, the start)
      //   keeps the step the player is at, so the runs are compared where they were; a player
      //   that showed the whole story shows the whole new story.
      const released = !newRace && previous.hold && !data.hold;
      const calm = data.still || reducedMotion(); // the visitor asked for less motion: nothing plays by itself
      const opening = !previous && !calm;
      this.hold(data.hold);
      if (data.hold) this.go(0);
      else if (newRace || released) {
        this.fresh = true;
        this.go(0);
        if ((data.autoplay || opening) && !calm) this.play();
      } else this.go(atEnd ? this.steps : Math.min(this.step, this.steps));
      this.showFresh();
      // Answered on a phone, where the question is above the race: the race comes into view.
      if (released) this.root.querySelector(".ovp-main").scrollIntoView({ block: "nearest", behavior: calm ? "auto" : "smooth" });
      this.report();
      ready.done = true;
      raceDrawn();
      if (!data.preview) window.dispatchEvent(new Event("optviz:race")); // the figures show the race as it is set
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
    traces.push({ type: "scatter", mode: "markers", x: [this.start[0]], y: [this.start[1]], name: this.text.start, visible: !this.movedStart,
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
      for (const said of [r.companion, r.probes]) { // a second path, faint points: what they are
        if (!said) continue;
        const note = document.createElement("div");
        note.className = "ovp-same ovp-companion";
        note.textContent = said.note;
        name.appendChild(note);
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
    if (!area || !this.gd.offsetParent) return; // not displayed (the page replaced it): nothing to fit
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
    tctx.lineJoin = "round"; tctx.lineCap = "round";
    for (const run of this.runs) {
      const last = Math.min(this.step, run.x.length - 1);
      if (last <= this.drawnTo) continue;
      for (const path of paths(run)) {
        if (path.second && path.bold) continue; // drawn over the others, with the heads
        tctx.strokeStyle = run.colour; tctx.globalAlpha = path.bold ? 1 : FAINT;
        tctx.lineWidth = (path.bold ? 2.5 : 1.5) * k * r;
        // A faint path is drawn a few steps a frame: round caps would overlap at each frame's
        // first point and leave darker beads along it.
        tctx.lineCap = path.bold ? "round" : "butt";
        tctx.beginPath();
        let [px, py] = this.toPixel(area, path.x[this.drawnTo], path.y[this.drawnTo]);
        tctx.moveTo(px, py);
        for (let i = this.drawnTo + 1; i <= last; i++) {
          [px, py] = this.toPixel(area, path.x[i], path.y[i]);
          tctx.lineTo(px, py);
        }
        tctx.stroke();
      }
    }
    for (const run of this.runs) this.drawProbes(tctx, area, run, Math.min(this.step, run.x.length - 1));
    tctx.globalAlpha = 1;
    this.drawnTo = Math.max(this.drawnTo, this.step);
    // Heads and divergence marks, above everything else.
    const hctx = this.heads.getContext("2d");
    hctx.clearRect(0, 0, this.heads.width, this.heads.height);
    const labels = []; // the divergence labels already placed: another one moves down past them
    for (const run of this.runs) { // a bold second path (an average) over its own faint iterates, edged in white
      const path = paths(run).find((p) => p.second && p.bold);
      if (!path) continue;
      hctx.beginPath(); hctx.lineJoin = "round"; hctx.lineCap = "round";
      for (let i = 0; i <= Math.min(this.step, path.x.length - 1); i++) {
        const [px, py] = this.toPixel(area, path.x[i], path.y[i]);
        i ? hctx.lineTo(px, py) : hctx.moveTo(px, py);
      }
      hctx.strokeStyle = "#ffffff"; hctx.lineWidth = 5 * k * r; hctx.stroke();
      hctx.strokeStyle = run.colour; hctx.lineWidth = 2.5 * k * r; hctx.stroke();
    }
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
      const mark = (x, y, edge) => {
        hctx.fillStyle = run.colour; hctx.strokeStyle = edge; hctx.lineWidth = 1.5 * r;
        shape(hctx, SYMBOLS[run.symbol % SYMBOLS.length], x, y, 7 * k * r); hctx.fill(); hctx.stroke();
      };
      if (run.cx) { // two heads: the faint one a hollow ring, drawn first; the bold one the run's mark
        const [cx, cy] = this.toPixel(area, run.cx[i], run.cy[i]);
        if (run.companion.bold) { ring(hctx, px, py, 5.5 * k * r, run.colour, r); mark(cx, cy, "#ffffff"); }
        else { ring(hctx, cx, cy, 5.5 * k * r, run.colour, r); mark(px, py, off ? "#000000" : "#ffffff"); }
      } else mark(px, py, off ? "#000000" : "#ffffff");
      if (off) {
        const [dx, dy] = off.dir, from = 10 * k * r, to = 30 * k * r;
        arrow(hctx, px + dx * from, py + dy * from, px + dx * to, py + dy * to, ARROWS.step, run.colour, k * r);
      }
    }
    if (this.movedStart) { // the start being dragged (or let go, until the page moves it)
      const [px, py] = this.toPixel(area, this.movedStart[0], this.movedStart[1]);
      hctx.fillStyle = "#000000"; hctx.strokeStyle = "#ffffff"; hctx.lineWidth = 1.5 * r;
      shape(hctx, "star", px, py, 8 * k * r); hctx.fill(); hctx.stroke();
    }
    if (!this.drawForces(hctx, area) && this.data.inspect) this.drawArrows(hctx, area);
    this.showOff();
    this.drawData();
  }

  // The points a run's steps evaluated besides its iterates (LBFGS's iterations and line-search
  // trials, SAM's perturbed point), faint, for the steps drawnTo + 1 .. last: each step's from
  // where it started through them in the order they were tried, and a small dot at each.
  drawProbes(ctx, area, run, last) {
    if (!run.ps || last <= this.drawnTo) return;
    const k = this.scale(), r = this.ratio, steps = run.ps;
    let lo = 0, hi = steps.length; // the first probe made after step drawnTo
    while (lo < hi) { const mid = (lo + hi) >> 1; if (steps[mid] <= this.drawnTo) lo = mid + 1; else hi = mid; }
    ctx.strokeStyle = run.colour; ctx.fillStyle = run.colour; ctx.lineCap = "butt"; ctx.lineJoin = "round";
    for (let j = lo; j < steps.length && steps[j] <= last;) {
      const step = steps[j];
      ctx.globalAlpha = FAINT * 0.75; ctx.lineWidth = 1 * k * r;
      ctx.beginPath();
      let [px, py] = this.toPixel(area, run.x[step - 1], run.y[step - 1]);
      ctx.moveTo(px, py);
      const dots = [];
      for (; j < steps.length && steps[j] === step; j++) {
        [px, py] = this.toPixel(area, run.px[j], run.py[j]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
        ctx.lineTo(px, py); dots.push([px, py]);
      }
      ctx.stroke();
      ctx.globalAlpha = FAINT;
      for (const [dx, dy] of dots) { ctx.beginPath(); ctx.arc(dx, dy, 1.8 * k * r, 0, 2 * Math.PI); ctx.fill(); }
    }
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
    ctx.lineWidth = 1.5 * k * this.ratio;
    for (const run of this.runs) {
      ctx.strokeStyle = run.colour;
      for (const path of paths(run)) {
        ctx.globalAlpha = path.bold ? 0.28 : 0.28 * FAINT;
        ctx.beginPath();
        for (let i = 0; i < path.x.length; i++) {
          const [px, py] = this.toPixel(area, path.x[i], path.y[i]);
          i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
        }
        ctx.stroke();
      }
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

  // A step the visitor asked for: the race is no longer waiting to be played.
  visit(step) {
    this.fresh = false;
    this.showFresh();
    this.go(step);
  }

  // From the start, playing: the one control that replays a race.
  replay() {
    if (this.held) return;
    this.pause();
    this.go(0);
    this.play();
  }

  // A race not played yet waits at its start, its paths faint, under a big Play button.
  showFresh() {
    const waiting = Boolean(this.fresh) && !this.playing && !this.held;
    this.root.classList.toggle("ovp-fresh", waiting);
    this.root.querySelector(".ovp-bigplay").hidden = !waiting;
  }

  play() {
    if (this.held) return;
    if (this.step >= this.steps) this.go(0);
    this.playing = true;
    this.fresh = false;
    this.showFresh();
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
      ArrowRight: () => this.visit(this.step + 1), ArrowLeft: () => this.visit(this.step - 1),
      Home: () => this.visit(0), End: () => this.visit(this.steps), " ": () => this.toggle(),
    };
    if (e.target.tagName === "INPUT" && e.target.type === "range" && e.key.startsWith("Arrow")) return;
    if (actions[e.key]) { e.preventDefault(); if (e.key !== " ") this.pause(); actions[e.key](); }
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else this.root.requestFullscreen().catch(() => {});
  }

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

  // --------------------------------------------------------------------------- live changes

  // The data point under a pointer event, held inside the plot.
  pointAt(e) {
    const area = this.plotArea(), box = this.gd.getBoundingClientRect();
    const px = Math.min(Math.max(e.clientX - box.left - area.left, 0), area.width);
    const py = Math.min(Math.max(e.clientY - box.top - area.top, 0), area.height);
    return [area.xa.p2l(px), area.ya.p2l(py)];
  }

  // A press on the start marker (within a finger's reach of it) starts a drag.
  grab(e) {
    const area = this.plotArea();
    if (this.held || !area || !this.data || onModebar(e) || (e.button !== undefined && e.button !== 0)) return;
    const box = this.gd.getBoundingClientRect(), start = this.movedStart || this.start;
    const sx = box.left + area.left + area.xa.l2p(start[0]), sy = box.top + area.top + area.ya.l2p(start[1]);
    const reach = (e.pointerType === "touch" ? 24 : 14) * this.scale();
    if (Math.hypot(e.clientX - sx, e.clientY - sy) > reach) return;
    e.preventDefault(); // no mouse events follow: Plotly neither pans nor takes it for a click
    e.stopPropagation();
    this.root.querySelector(".ovp-plot").setPointerCapture(e.pointerId);
    // Where on the marker it was taken: the start moves with the pointer, without jumping to it.
    this.dragging = { id: e.pointerId, offset: [e.clientX - sx, e.clientY - sy], moved: false };
    this.previewOff = false;
    this.root.classList.add("ovp-dragging");
  }

  drag(e) {
    if (!this.dragging || e.pointerId !== this.dragging.id) return;
    const [ox, oy] = this.dragging.offset;
    const point = this.pointAt({ clientX: e.clientX - ox, clientY: e.clientY - oy });
    this.dragging.moved = true;
    if (!this.movedStart) { this.movedStart = point; this.look = null; this.render(); } // the canvas draws the start while it moves
    this.movedStart = point;
    this.draw();
    this.askPreview({ x: point[0], y: point[1] });
  }

  // Let go: the start is exactly there (the server rounds it far below a pixel), and the link says so.
  release(e) {
    const dragging = this.dragging;
    if (!dragging || (e && e.pointerId !== dragging.id)) return;
    this.dragging = null;
    this.nextPreview = null;
    this.root.classList.remove("ovp-dragging");
    if (!e) { // the drag was taken away (a gesture of the browser's): the start stays where it was
      this.movedStart = null;
      this.render().then(() => this.draw());
      return;
    }
    // Not moved: a click, which sets the start exactly where it lands (on the marker too).
    const [x, y] = dragging.moved && this.movedStart ? this.movedStart : this.pointAt(e);
    this.setTriggerValue("clicked", { x, y, at: Date.now() });
  }

  // One preview at a time: the next is asked for when the last one is drawn (or given up after
  // a while), with the newest position or value; those in between are skipped.
  askPreview(request) {
    if (this.previewOff) return;
    this.nextPreview = request;
    const waited = this.previewPending ? performance.now() - this.previewPending.sent : Infinity;
    if (waited < PREVIEW_PATIENCE) { // asked when the last is drawn, or once it is given up
      clearTimeout(this.previewTimer);
      this.previewTimer = setTimeout(() => this.sendPreview(), PREVIEW_PATIENCE - waited);
      return;
    }
    this.sendPreview();
  }

  sendPreview() {
    const request = this.nextPreview;
    if (!request || !this.setTriggerValue) return;
    this.nextPreview = null;
    clearTimeout(this.previewTimer);
    this.previews = (this.previews || 0) + 1;
    const at = this.previews;
    this.previewPending = { at, sent: performance.now() };
    this.setTriggerValue("preview", { ...request, at });
  }

  previewAnswered(answer) {
    if (!this.previewPending || answer.at !== this.previewPending.at) return;
    this.previewPending = null;
    if (answer.refused) { this.previewOff = true; this.nextPreview = null; return; } // too costly: the release decides
    this.sendPreview();
  }

  // The sidebar's sliders that change the race (a learning rate, a surface's parameter) preview
  // it while they are dragged: Streamlit sends a slider's value only once it is let go. Python
  // names them (data.live: widget key -> the values of its positions, or null for a plain number).
  watchSliders() {
    this.live = this.data.live || {};
    if (this.sliderWatch) return;
    this.sliderWatch = new MutationObserver((changes) => {
      for (const change of changes) {
        const input = change.target;
        if (!(input instanceof HTMLInputElement) || input.type !== "range" || input.closest(".ovp")) continue;
        const holder = input.closest("[class*='st-key-']");
        if (!holder) continue;
        const key = [...holder.classList].find((c) => c.startsWith("st-key-")).slice("st-key-".length);
        if (!(key in this.live)) continue;
        const options = this.live[key], position = Number(input.value);
        const value = options ? options[Math.round(position)] : position;
        if (value === undefined || !Number.isFinite(value) || this.held || !pointer.down) continue; // dragged, not set by a rerun
        if (this.lastSlid && this.lastSlid.key === key && this.lastSlid.value === value) continue;
        this.lastSlid = { key, value };
        this.askPreview({ key, value });
      }
    });
    this.sliderWatch.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuetext"] });
  }
}

// Whether a pointer (a mouse button, a finger) is down anywhere on the page: a slider that moves
// then is being dragged; one that moves otherwise was set by the page.
// Watched once per page, whatever loads this module again.
const pointer = (window.__optvizPointer = window.__optvizPointer || (() => {
  const state = { down: false };
  window.addEventListener("pointerdown", () => { state.down = true; }, true);
  window.addEventListener("pointerup", () => { state.down = false; }, true);
  window.addEventListener("pointercancel", () => { state.down = false; }, true);
  return state;
})());

// A preview not answered in this long (the server busy, a message lost) no longer holds the next one back.
const PREVIEW_PATIENCE = 1500;

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
// (A 3-D view's trail or head, {run, part, diverged_at}, is filled by Live3D.)
function fromCache(trace) {
  const ref = trace.fromRace;
  if (!ref || ref.part) return trace;
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

// ------------------------------------------------------------------------------ the playhead

// The race player's step as the page last heard it ("optviz:step"), or null before the race is drawn.
const playerStep = () => window.__optvizStep || null;
const seek = (step) => window.dispatchEvent(new CustomEvent("optviz:seek", { detail: { step } }));

// The plot areas of a figure's panels stacked over one step axis, from the top of the highest to
// the bottom of the lowest, in the figure's pixels.
function stacked(fl) {
  const axes = Object.keys(fl).filter((key) => /^yaxis\d*$/.test(key) && fl[key] && fl[key]._length);
  const top = Math.min(...axes.map((key) => fl[key]._offset));
  const bottom = Math.max(...axes.map((key) => fl[key]._offset + fl[key]._length));
  return { top, bottom };
}

// A per-step figure's playhead (a figure whose x axis is the step: the loss chart, ...): a line
// at the player's step with the step written beside it, an element over the plot moved with
// the axis' own l2p at most once an animation frame (no Plotly redraw: it keeps up with a race
// played at any speed). A press in the plot area takes the player to the step under the
// pointer and a drag scrubs it; Plotly's own drag is off (its zoom stays in the modebar: with
// the modebar's zoom or pan chosen, a drag is Plotly's and only a click moves the player).
class Playhead {
  constructor(root, gd) {
    this.root = root;
    this.gd = gd;
    this.el = document.createElement("div");
    this.el.className = "ovf-playhead";
    this.el.hidden = true;
    this.el.innerHTML = '<div class="ovf-playhead-line"></div><div class="ovf-playhead-label"></div>';
    this.label = this.el.querySelector(".ovf-playhead-label");
    root.appendChild(this.el);
    root.classList.add("ovf-scrubbable");
    this.detail = playerStep();
    this.places = 0; // for the benchmark: the line's moves
    this.onStep = (e) => { this.detail = e.detail; this.schedule(); };
    window.addEventListener("optviz:step", this.onStep);
    this.onDown = (e) => this.press(e);
    gd.addEventListener("pointerdown", this.onDown);
    // Plotly covers the page while a button is held (its drag cover): the drag is followed on the window.
    this.onMove = (e) => this.move(e);
    this.onUp = (e) => this.release(e);
  }

  setText(text) {
    this.text = text;
    this.gd.setAttribute("aria-label", text.hint);
    this.place();
  }

  close() {
    cancelAnimationFrame(this.frame);
    window.removeEventListener("optviz:step", this.onStep);
    this.release();
    this.gd.removeEventListener("pointerdown", this.onDown);
    this.el.remove();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.place(); });
  }

  // The line over the plot area at the step, where the axis shows it (hidden where it does not);
  // over every panel where panels share the step axis (the convergence by direction's two).
  place() {
    const d = this.detail, fl = this.gd._fullLayout;
    if (!d || !fl || !fl.xaxis || !this.text) { this.el.hidden = true; return; }
    const xa = fl.xaxis, span = stacked(fl), px = xa.l2p(d.step);
    const shown = Number.isFinite(px) && px >= -0.5 && px <= xa._length + 0.5;
    this.el.hidden = !shown;
    this.root.dataset.playheadStep = String(d.step);
    if (!shown) return;
    const left = this.gd.offsetLeft + xa._offset + px, top = this.gd.offsetTop + span.top;
    this.el.style.transform = `translate(${left}px, ${top}px)`;
    this.places += 1;
    this.el.style.height = span.bottom - span.top + "px";
    this.label.textContent = this.text.step.replace("{step}", d.step);
    this.el.classList.toggle("ovf-playhead-left", px > xa._length - 90); // the label inside the plot
  }

  // The step under the page's x, on the figure's axis, rounded and within the race.
  stepAt(clientX) {
    const fl = this.gd._fullLayout, d = playerStep();
    if (!fl || !fl.xaxis || !d) return null;
    const xa = fl.xaxis, box = this.gd.getBoundingClientRect();
    const value = xa.p2l(clientX - box.left - xa._offset);
    return Number.isFinite(value) ? Math.max(0, Math.min(d.steps, Math.round(value))) : null;
  }

  inside(e) {
    const fl = this.gd._fullLayout;
    if (!fl || !fl.xaxis || onModebar(e)) return false;
    const box = this.gd.getBoundingClientRect();
    const span = stacked(fl), px = e.clientX - box.left - fl.xaxis._offset, py = e.clientY - box.top;
    return px >= 0 && px <= fl.xaxis._length && py >= span.top && py <= span.bottom;
  }

  press(e) {
    if (e.button !== 0 || !this.inside(e) || !playerStep()) return;
    const mode = this.gd._fullLayout.dragmode;
    this.drag = { at: e.clientX, scrub: mode !== "zoom" && mode !== "pan", sent: null };
    window.addEventListener("pointermove", this.onMove);
    window.addEventListener("pointerup", this.onUp);
    window.addEventListener("pointercancel", this.onUp);
    if (this.drag.scrub) this.send(e.clientX);
  }

  move(e) {
    if (this.drag && this.drag.scrub) this.send(e.clientX);
  }

  release(e) {
    const drag = this.drag;
    this.drag = null;
    window.removeEventListener("pointermove", this.onMove);
    window.removeEventListener("pointerup", this.onUp);
    window.removeEventListener("pointercancel", this.onUp);
    if (drag && e && !drag.scrub && Math.abs(e.clientX - drag.at) <= 4) this.send(e.clientX); // a click, under zoom or pan
  }

  send(clientX) {
    const step = this.stepAt(clientX);
    if (step === null || (this.drag && this.drag.sent === step)) return;
    if (this.drag) this.drag.sent = step;
    seek(step);
  }
}

// ------------------------------------------------------------------------------ the 3-D view, live

// The 3-D view animated by the player: each run's trail (a line from step 0 to the player's step)
// and head (a marker at it) are filled from the race's arrays (CACHE) and lifted where Python's
// _Relief.above puts a path: the drawn height of f (f, or log10(f − f* + δ)), or of the drawn mesh
// where it is higher (bilinear in its cell, plus a quarter of the cell's twist), plus the lift,
// capped at the box's top; a point outside the domain is not drawn (a gap), and a diverged run's
// trail stops at the point before its divergence (its head is a cross there). Every point is
// lifted once, when the figure is drawn.
//
// At rest (paused, stepped, scrubbed) the trails and heads are Plotly's own 3-D traces at the
// step: hidden behind a hill where they are, with their hover. While the race plays they are
// drawn instead on a canvas over the scene, projected with the scene's own camera: WebGL drawing
// the whole scene again each frame is what a machine without a graphics card (a software
// renderer) cannot do 30 times a second, while a canvas of lines is cheap; at the next rest
// Plotly's traces come back at that step. At most one update an animation frame.
// How long the 3-D view's step stays put before Plotly's own traces come back (a key held down
// or a scrub moves it more often than that: it is drawn on the canvas meanwhile).
const SETTLE_MS = 250;

class Live3D {
  constructor(root, gd) {
    this.root = root;
    this.gd = gd;
    this.updates = 0; // for the benchmark: 3-D updates made, one per animation frame at most
    this.runs = []; this.trails = []; this.heads = []; this.symbols = [];
    this.onStep = (e) => { this.detail = e.detail; this.schedule(); };
    window.addEventListener("optviz:step", this.onStep);
  }

  close() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.settle);
    window.removeEventListener("optviz:step", this.onStep);
  }

  // The figure as Plotly draws it now: the trails and heads filled at the player's step (its last
  // step before the race has said which), their traces' indices kept for the updates.
  prepare(figure, P) {
    this.P = P;
    const spec = (figure.layout.meta || {}).live, surface = figure.data.find((t) => t.type === "surface");
    this.runs = [];
    this.trails = [];
    this.heads = [];
    const data = figure.data.map((trace, index) => {
      const ref = trace.fromRace;
      if (!ref || !ref.part) return trace;
      const { fromRace, ...rest } = trace;
      const second = Boolean(ref.second); // a rule's second point's trail (cx, cy, cgap), or its head on it
      let run = this.runs.find((r) => r.id === ref.run && r.diverged_at === ref.diverged_at && r.second === second);
      if (!run) { run = this.lift(ref, spec, surface); this.runs.push(run); }
      (ref.part === "trail" ? this.trails : this.heads).push({ index, run, symbol: (rest.marker || {}).symbol });
      return rest;
    });
    const d = this.detail || playerStep();
    this.step = d ? d.step : Math.max(0, ...this.runs.map((r) => r.length - 1));
    // Plotly's traces, filled at the step, once Plotly has drawn them (redrawn()); until then
    // nothing else updates them (Plotly's data is the figure's being drawn).
    this.mode = "drawing";
    this.clearCanvas();
    const filled = this.filled(this.step);
    for (const [i, t] of this.trails.entries()) Object.assign(data[t.index], { x: filled.x[i], y: filled.y[i], z: filled.z[i] });
    this.heads.forEach((h, i) => {
      const j = this.trails.length + i;
      Object.assign(data[h.index], { x: filled.x[j], y: filled.y[j], z: filled.z[j], marker: { ...data[h.index].marker, symbol: filled.symbols[i] } });
    });
    this.symbols = filled.symbols;
    return { ...figure, data };
  }

  // One run's points in the drawn space, every step (NaN where nothing is drawn).
  lift(ref, spec, surface) {
    const all = CACHE.get(ref.run), second = Boolean(ref.second) && all && all.cx;
    const arrays = !all ? null : second ? { x: all.cx, y: all.cy, gap: all.cgap } : all;
    const n = arrays ? arrays.x.length : 0;
    const X = new Float32Array(n), Y = new Float32Array(n), Z = new Float32Array(n);
    const mesh = surface ? meshOf(surface) : null;
    const [[x0, x1], [y0, y1]] = spec.domain;
    let end = n - 1; // the last step drawn: before the divergence, before any point that is not finite
    if (ref.diverged_at !== null && ref.diverged_at !== undefined) end = Math.min(end, ref.diverged_at - 1);
    for (let i = 0; i < n; i++) {
      const x = arrays.x[i], y = arrays.y[i], f = spec.f_star + arrays.gap[i];
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(f))) { end = Math.min(end, i - 1); break; }
      if (x < x0 || x > x1 || y < y0 || y > y1) { X[i] = Y[i] = Z[i] = NaN; continue; }
      const h = spec.log ? Math.log10(Math.max(f - spec.log_f_star, 0) + spec.delta) : f;
      X[i] = x; Y[i] = y;
      Z[i] = Math.min(Math.max(h, mesh ? mesh(x, y) : h) + spec.lift, spec.top);
    }
    return { id: ref.run, second: Boolean(ref.second), diverged_at: ref.diverged_at ?? null, X, Y, Z, end: Math.max(end, 0), length: n };
  }

  // The trails' and the heads' points at step k (trails first), and the heads' symbols.
  filled(k) {
    const x = [], y = [], z = [], symbols = [];
    for (const t of this.trails) {
      const r = t.run, last = Math.min(k, r.end) + 1;
      x.push(r.X.subarray(0, last)); y.push(r.Y.subarray(0, last)); z.push(r.Z.subarray(0, last));
    }
    for (const h of this.heads) {
      const r = h.run, j = Math.min(k, r.end), gone = r.diverged_at !== null && k >= r.diverged_at;
      x.push(r.length ? [r.X[j]] : []); y.push(r.length ? [r.Y[j]] : []); z.push(r.length ? [r.Z[j]] : []);
      symbols.push(gone ? "cross" : h.symbol);
    }
    return { x, y, z, symbols };
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.apply(); });
  }

  // Plotly has drawn the figure: its trails and heads at the player's step from now on (the
  // player may have moved on while it drew), the canvas taking over if the race plays.
  redrawn() {
    if (this.mode !== "drawing") return;
    this.mode = "gl";
    this.step = null; // filled again, whatever step Plotly shows
    this.apply();
  }

  apply() {
    const d = this.detail;
    if (!d || !this.P || !this.gd._fullLayout || this.mode === "drawing") return;
    const moved = [...this.trails, ...this.heads];
    // Moving (playing, or stepped or scrubbed a moment ago): the canvas over the scene; Plotly's
    // traces once the step has rested for SETTLE_MS (and at once after a redraw: step null).
    const moving = d.playing || (this.step !== null && d.step !== this.step);
    clearTimeout(this.settle);
    this.settle = undefined;
    if (!d.playing && moving) this.settle = setTimeout(() => { this.settle = undefined; this.apply(); }, SETTLE_MS);
    if (moving && this.camera()) {
      if (this.mode !== "canvas") { // Plotly's trails and heads give way, once
        const empty = moved.map(() => [NaN]); // one point that is not drawn (Plotly's WebGL traces need one)
        if (!this.fast(moved, { x: empty, y: empty, z: empty, symbols: this.symbols })) return;
        this.mode = "canvas";
      }
      this.step = d.step;
      this.root.dataset.liveMode = "canvas";
      this.drawCanvas(d.step);
      this.updates += 1;
      this.root.dataset.liveStep = String(d.step);
      return;
    }
    if (this.mode === "canvas") { this.clearCanvas(); this.mode = "gl"; this.step = null; }
    this.root.dataset.liveMode = "gl";
    if (d.step === this.step) return;
    this.step = d.step;
    const f = this.filled(d.step);
    const symbols = this.heads.map((h) => h.index);
    this.updates += 1;
    this.root.dataset.liveStep = String(d.step);
    if (this.fast(moved, f)) return;
    if (f.symbols.some((s, i) => s !== this.symbols[i])) {
      this.symbols = f.symbols;
      this.P.restyle(this.gd, { "marker.symbol": f.symbols }, symbols);
    }
    this.P.restyle(this.gd, { x: f.x, y: f.y, z: f.z }, moved.map((t) => t.index));
  }

  // The scene's camera as WebGL last drew it: clip = projection · view · model · (data × scale),
  // and the scene's canvas; null where Plotly's scene is not as expected (then no canvas is used).
  camera() {
    const fl = this.gd._fullLayout, scene = fl && fl.scene && fl.scene._scene;
    const glplot = scene && scene.glplot, c = glplot && glplot.cameraParams;
    if (!c || !c.view || !c.projection || !c.model || !scene.dataScale || !glplot.canvas) return null;
    return { matrix: times(c.projection, times(c.view, c.model)), scale: scene.dataScale, canvas: glplot.canvas };
  }

  // Every trail up to step k and every head at it, on the canvas over the scene.
  drawCanvas(k) {
    const cam = this.camera();
    if (!cam) return;
    if (!this.canvas) {
      this.canvas = document.createElement("canvas");
      this.canvas.className = "ovf-live";
      this.root.classList.add("ovf-live-root");
      this.root.appendChild(this.canvas);
    }
    const canvas = this.canvas, box = cam.canvas.getBoundingClientRect(), rootBox = this.root.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1, w = box.width, h = box.height;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
    }
    canvas.style.left = box.left - rootBox.left + "px"; canvas.style.top = box.top - rootBox.top + "px";
    canvas.hidden = false;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const m = cam.matrix, [sx, sy, sz] = cam.scale;
    const at = (r, i) => { // screen point of run r's step i, or null where it is not drawn
      const x = r.X[i] * sx, y = r.Y[i] * sy, z = r.Z[i] * sz;
      const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
      if (!(cw > 0)) return null;
      return [((m[0] * x + m[4] * y + m[8] * z + m[12]) / cw + 1) * 0.5 * w, (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / cw) * 0.5 * h];
    };
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (const t of this.trails) {
      const r = t.run, last = Math.min(k, r.end), trace = this.gd.data[t.index];
      ctx.strokeStyle = trace.line.color; ctx.lineWidth = trace.line.width * 0.5; // as wide as WebGL draws it
      ctx.beginPath();
      let open = false;
      for (let i = 0; i <= last; i++) {
        const p = at(r, i);
        if (!p) { open = false; continue; }
        open ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1]);
        open = true;
      }
      ctx.stroke();
    }
    this.heads.forEach((t) => {
      const r = t.run;
      if (!r.length) return;
      const p = at(r, Math.min(k, r.end)), trace = this.gd.data[t.index];
      if (!p) return;
      const gone = r.diverged_at !== null && k >= r.diverged_at;
      ctx.fillStyle = trace.marker.color; ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 1.5;
      shape(ctx, gone ? "cross" : t.symbol, p[0], p[1], trace.marker.size * 0.8);
      ctx.fill(); ctx.stroke();
    });
  }

  clearCanvas() {
    if (this.canvas) this.canvas.hidden = true;
  }

  // The same change without Plotly.restyle, which computes the whole scene again (the surface's
  // mesh and level lines too: about 80 ms a step on a classroom's laptop, so 3-D played at a few
  // frames a second): each moved trace's points are set in the figure (gd.data and Plotly's
  // filled copy, so that a later redraw draws them), its WebGL object is updated from them, and
  // the scene is drawn again (a few ms). False where Plotly's scene is not as expected: the caller
  // restyles then.
  fast(moved, f) {
    const fl = this.gd._fullLayout, scene = fl && fl.scene && fl.scene._scene;
    if (!scene || !scene.traces || !scene.glplot || typeof scene.glplot.redraw !== "function") return false;
    const objects = moved.map((t) => {
      const full = this.gd._fullData.find((trace) => trace.index === t.index);
      return full && scene.traces[full.uid] && typeof scene.traces[full.uid].update === "function" ? [t, full, scene.traces[full.uid]] : null;
    });
    if (objects.some((o) => !o)) return false;
    objects.forEach(([t, full, object], i) => {
      const trace = this.gd.data[t.index];
      trace.x = full.x = f.x[i]; trace.y = full.y = f.y[i]; trace.z = full.z = f.z[i];
      const head = i - this.trails.length;
      if (head >= 0 && full.marker.symbol !== f.symbols[head]) {
        full.marker.symbol = f.symbols[head];
        trace.marker = { ...trace.marker, symbol: f.symbols[head] };
      }
      object.update(full);
    });
    this.symbols = f.symbols;
    scene.glplot.redraw();
    return true;
  }
}

// a · b, of 4 x 4 matrices stored by column (WebGL's order).
function times(a, b) {
  const out = new Float64Array(16);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
    out[4 * c + r] = a[r] * b[4 * c] + a[4 + r] * b[4 * c + 1] + a[8 + r] * b[4 * c + 2] + a[12 + r] * b[4 * c + 3];
  }
  return out;
}

// An upper bound of a surface trace's drawn mesh at (x, y) (optviz.draw.figures._mesh_height):
// bilinear in its grid cell, plus a quarter of the cell's twist.
function meshOf(surface) {
  const read = (a) => (a && a.bdata ? decode(a.bdata) : Float32Array.from(a.flat ? a.flat() : a));
  const gx = read(surface.x), gy = read(surface.y), gz = read(surface.z), nx = gx.length, ny = gy.length;
  const hx = gx[1] - gx[0], hy = gy[1] - gy[0];
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  return (px, py) => {
    const i = clamp(Math.floor((px - gx[0]) / hx), 0, nx - 2), j = clamp(Math.floor((py - gy[0]) / hy), 0, ny - 2);
    const u = clamp((px - gx[i]) / hx, 0, 1), v = clamp((py - gy[j]) / hy, 0, 1);
    const z00 = gz[j * nx + i], z10 = gz[j * nx + i + 1], z01 = gz[(j + 1) * nx + i], z11 = gz[(j + 1) * nx + i + 1];
    return (1 - u) * (1 - v) * z00 + u * (1 - v) * z10 + (1 - u) * v * z01 + u * v * z11 + 0.25 * Math.abs(z00 - z10 - z01 + z11);
  };
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
  const live = data.figure.data.some((trace) => trace.fromRace && trace.fromRace.part);
  if (live && !root.__live) root.__live = new Live3D(root, gd);
  if (!live && root.__live) { root.__live.close(); root.__live = null; }
  const figureNow = (P) => {
    const figure = { ...data.figure, data: data.figure.data.map(fromCache) };
    return live ? root.__live.prepare(figure, P) : figure;
  };
  const draw = (P) => {
    const figure = figureNow(P), layout = { ...figure.layout, autosize: true };
    if (data.playhead) layout.dragmode = false; // a drag in the plot scrubs the player (Playhead)
    // WebGL draws the 3-D view at the screen's own resolution (plotly.js's default is twice it:
    // four times the pixels for nothing on most screens, and the view is drawn every frame it plays).
    const gl = live ? { plotGlPixelRatio: Math.min(2, window.devicePixelRatio || 1) } : {};
    // Once Plotly has drawn it, the 3-D view's trails and heads are filled at the player's step
    // again: a redraw that ends after the player moved on draws the figure as it was asked for.
    const drawn = () => live && root.__live && root.__live.redrawn();
    const drawing = P.react(gd, figure.data, themed(layout, root), configFor(P, data, gl));
    return drawing.then(drawn, (error) => {
      drawn();
      throw error;
    });
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
    if (data.playhead && !root.__playhead) root.__playhead = new Playhead(root, gd);
    if (!data.playhead && root.__playhead) { root.__playhead.close(); root.__playhead = null; }
    return draw(P).then(() => {
      if (data.click) watchClicks(root, gd, setTriggerValue);
      if (root.__playhead) {
        if (!root.__afterplot) { root.__afterplot = true; gd.on("plotly_afterplot", () => root.__playhead && root.__playhead.place()); }
        root.__playhead.setText(data.playhead);
      }
    });
  });
}

// Streamlit now and then mounts a component again, in a new host element and under a new
// frontend key, though Python's key is the same (seen after a rerun on a loaded machine): the
// race player then moves whole into the new host, with its step, its zoom and its drawn plot,
// so that a change of settings never sends it back to step 0. Python names each player
// (data.player: its key); one is kept per name (a page has one or two): nothing grows.
const PLAYERS = new Map();

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const name = data.kind === "race" ? data.player : null;
  let root = parentElement.querySelector(".ov-root");
  if (!root && name && PLAYERS.has(name)) {
    root = PLAYERS.get(name).root;
    parentElement.appendChild(root); // out of the old host, if it is still there
  }
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
    return () => {
      if (root.__sizeWatch) root.__sizeWatch.disconnect();
      root.__sizeWatch = null;
      for (const key of ["__playhead", "__live"]) if (root[key]) { root[key].close(); root[key] = null; }
    };
  }
  if (!root.__player) root.__player = new Player(root);
  const player = root.__player;
  if (name) PLAYERS.set(name, player);
  player.open();
  player.update(data, setStateValue, setTriggerValue);
  // The old host's cleanup may come after the player moved on to its new host: it is then not closed.
  return () => { if (root.parentNode === parentElement) player.close(); };
}
