// hotprobe web view. Every text that comes from an event is set with textContent: never markup.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const rowsEl = $("rows");
  const HISTORY_EVERY_MS = 2000;
  const STATE_ORDER = ["running", "stalled", "idle", "failed", "done", "noted"];
  const model = {
    runs: new Map(), streams: new Map(), version: -1, offset: 0, totals: {},
    view: { interval: 0.5, stalled_after: 10 },
  };
  const open = new Set();
  const histories = new Map();
  let items = [];
  let terms = [];
  let dirty = true;
  let framePending = false;
  let painted = false;
  let source = null;

  // The token came in the address once; the cookie carries it from now on.
  if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname);
  }

  const now = () => Date.now() / 1000 + model.offset;
  const rowHeight = () =>
    parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row-h")) || 34;

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function status(text) { setText($("status"), text); }

  // ---- data ---------------------------------------------------------------------------
  async function start() {
    let response;
    try {
      response = await fetch("api/state", { cache: "no-store", credentials: "same-origin" });
    } catch (error) {
      status("cannot reach the collector; retrying");
      setTimeout(start, 2000);
      return;
    }
    if (!response.ok) {
      status(response.status === 401 ? "401: open the URL with its token" : "error " + response.status);
      return;
    }
    apply(await response.json());
    connect();
  }

  function connect() {
    source = new EventSource("api/updates?since=" + model.version);
    source.onopen = () => status("live");
    source.onmessage = (message) => apply(JSON.parse(message.data));
    source.onerror = () => {
      source.close();
      status("reconnecting…");
      setTimeout(connect, 1000);
    };
  }

  function apply(message) {
    const received = performance.now();
    model.offset = message.now - Date.now() / 1000;
    if (message.interval) {
      model.view = { interval: message.interval, stalled_after: message.stalled_after };
    }
    if (message.version === undefined) { schedule(); return; }
    if (message.reset) { model.runs.clear(); model.streams.clear(); }
    for (const id of message.removed || []) {
      const run = model.runs.get(id);
      if (run) for (const sid of run.members) model.streams.delete(sid);
      model.runs.delete(id);
    }
    for (const run of message.runs) {
      const known = model.runs.get(run.id);
      run.members = known ? known.members : new Set();
      model.runs.set(run.id, run);
    }
    for (const stream of message.streams) {
      model.streams.set(stream.id, stream);
      const run = model.runs.get(stream.run);
      if (run) run.members.add(stream.id);
    }
    model.version = message.version;
    model.totals = {
      events: message.events, forgotten_runs: message.forgotten_runs,
      forgotten_streams: message.forgotten_streams, limits: message.limits,
    };
    dirty = true;
    schedule(received);
  }

  // ---- what is shown --------------------------------------------------------------------
  function stateOf(stream, t) {
    if (stream.state === "running" && t - stream.seen >= model.view.stalled_after) {
      return stream.unit === "call" ? "idle" : "stalled";
    }
    return stream.state;
  }

  function matches(stream, t) {
    if (!terms.length) return true;
    const text = (stream.probe + " " + stream.host + ":" + stream.pid + " " + stateOf(stream, t))
      .toLowerCase();
    return terms.every((term) => text.includes(term));
  }

  function group(key, name, members, t) {
    const counts = {};
    let n = 0, total = 0, running = 0, finished = 0, totals = true, seen = 0;
    for (const m of members) {
      const state = stateOf(m, t);
      counts[state] = (counts[state] || 0) + 1;
      n += m.n;
      if (m.total == null) totals = false; else total += m.total;
      if (m.rate && m.state === "running") running += m.rate; else if (m.rate) finished += m.rate;
      seen = Math.max(seen, m.seen);
    }
    const state = counts.running ? "running" : counts.stalled ? "stalled" : counts.idle ? "idle"
      : counts.failed ? "failed" : counts.done ? "done" : "noted";
    // The combined rate: of the members still running, or of all once none runs.
    const rate = counts.running ? running : finished;
    return { key, name, members, counts, n, total: totals ? total : null, rate, seen, state };
  }

  function build() {
    const t = now();
    items = [];
    const runs = [...model.runs.values()]
      .sort((a, b) => b.first_seen - a.first_seen || b.id - a.id);
    for (const run of runs) {
      const streams = [];
      for (const id of run.members) {
        const s = model.streams.get(id);
        if (s && matches(s, t)) streams.push(s);
      }
      if (terms.length && !streams.length) continue;
      items.push({ kind: "run", run, shown: streams.length });
      for (const s of streams) if (s.state === "failed") items.push({ kind: "stream", s });
      const byName = new Map();
      for (const s of streams) {
        const list = byName.get(s.probe);
        if (list) list.push(s); else byName.set(s.probe, [s]);
      }
      for (const [name, members] of byName) {
        if (members.length > 1) {
          const key = run.id + "\u0000" + name;
          items.push({ kind: "group", g: group(key, name, members, t) });
          if (open.has(key)) for (const s of members) items.push({ kind: "member", s });
        } else if (members[0].state !== "failed") {
          items.push({ kind: "stream", s: members[0] });
        }
      }
    }
  }

  // ---- formatting -------------------------------------------------------------------------
  function count(value) {
    if (value == null) return "";
    return Number.isInteger(value) ? value.toLocaleString("en") : value.toFixed(1);
  }
  function rate(value) {
    if (!value) return "-";
    for (const [limit, suffix] of [[1e9, "G"], [1e6, "M"], [1e3, "k"]]) {
      if (value >= limit) return (value / limit).toFixed(1) + suffix + "/s";
    }
    return value.toFixed(1) + "/s";
  }
  function duration(seconds) {
    if (seconds == null || !isFinite(seconds)) return "-";
    if (seconds < 60) return seconds.toFixed(1) + "s";
    const s = Math.floor(seconds) % 60, m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
    const pad = (x) => String(x).padStart(2, "0");
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  function eta(n, total, r, state) {
    if (state !== "running" || total == null || !r) return null;
    return Math.max(0, (total - n) / r);
  }
  function tally(counts) {
    const known = STATE_ORDER.filter((s) => counts[s]);
    const rest = Object.keys(counts).filter((s) => !STATE_ORDER.includes(s));
    return [...known, ...rest].map((s) => counts[s] + " " + s).join(" · ");
  }
  function clock(epoch) {
    return new Date(epoch * 1000).toLocaleString("en-GB", { hour12: false });
  }

  // ---- rows -------------------------------------------------------------------------------
  const pool = [];
  const CELLS = ["name", "where", "bar", "count", "rate", "eta", "state", "ago", "chart", "note"];

  function streamRow() {
    const el = document.createElement("div");
    el.setAttribute("role", "row");
    el.cells = {};
    for (const name of CELLS) {
      const cell = document.createElement(name === "chart" ? "canvas" : "span");
      cell.className = "c-" + name;
      if (name === "bar") cell.appendChild(document.createElement("i"));
      el.appendChild(cell);
      el.cells[name] = cell;
    }
    el.kind = "stream";
    return el;
  }

  function runRow() {
    const el = document.createElement("div");
    el.kind = "run";
    el.parts = {};
    for (const name of ["id", "cmd", "meta", "warn"]) {
      const part = document.createElement("span");
      part.className = "r-" + name;
      el.appendChild(part);
      el.parts[name] = part;
    }
    return el;
  }

  function rowFor(index, kind) {
    const wanted = kind === "run" ? "run" : "stream";
    let el = pool[index];
    if (!el || el.kind !== wanted) {
      const fresh = wanted === "run" ? runRow() : streamRow();
      if (el) el.replaceWith(fresh); else rowsEl.appendChild(fresh);
      pool[index] = el = fresh;
    }
    el.hidden = false;
    return el;
  }

  function fillRun(el, item) {
    const run = item.run;
    el.className = "row run-head";
    const info = run.info || {};
    setText(el.parts.id, "run " + run.run);
    setText(el.parts.cmd, Array.isArray(info.argv) ? info.argv.join(" ") : "");
    const meta = [];
    const hosts = info.host ? [info.host] : run.hosts;
    if (hosts && hosts.length) meta.push(hosts.join(", "));
    meta.push("started " + clock(run.first_seen));
    if (info.labels) meta.push(Object.entries(info.labels).map(([k, v]) => k + "=" + v).join(" "));
    if (info.git && info.git.commit) meta.push("git " + String(info.git.commit).slice(0, 10));
    if (run.ended) {
      const e = run.ended;
      meta.push("ended" + (e.status != null ? " status " + e.status : "")
        + (e.signal ? " signal " + e.signal : "")
        + (e.duration != null ? " after " + duration(e.duration) : ""));
    }
    const streams = run.streams + (run.streams === 1 ? " stream" : " streams");
    meta.push(item.shown === run.streams ? streams : item.shown + " of " + streams);
    setText(el.parts.meta, meta.join(" · "));
    setText(el.parts.warn, run.left_out
      ? run.left_out.toLocaleString("en") + " events of streams past the limit of "
        + model.totals.limits.streams.toLocaleString("en") + " per run left out"
      : "");
  }

  function fillStream(el, item, t) {
    const c = el.cells;
    let name, where, n, total, r, state, seen, note, chartId = null;
    if (item.kind === "group") {
      const g = item.g;
      name = g.name + " ×" + g.members.length;
      where = tally(g.counts);
      ({ n, total, state, seen } = g);
      r = g.rate;
      note = g.members.length + " processes";
      el.className = "row group " + state + (open.has(g.key) ? " open" : "");
      el.tabIndex = 0;
      el.groupKey = g.key;
      el.setAttribute("aria-expanded", String(open.has(g.key)));
    } else {
      const s = item.s;
      name = s.probe;
      where = s.pid == null ? s.host : s.host + ":" + s.pid;
      ({ n, total, seen } = s);
      r = s.rate;
      state = stateOf(s, t);
      note = s.state === "failed" || s.errors ? (s.errors > 1 ? s.errors + " errors: " : "") + s.error
        : (s.data || []).map(([k, v]) => k + "=" + v).join(" ");
      el.className = "row " + item.kind + " " + state;
      el.removeAttribute("tabindex");
      el.removeAttribute("aria-expanded");
      el.groupKey = null;
      chartId = s.id;
    }
    setText(c.name, name);
    c.name.title = name;
    setText(c.where, where);
    const fill = c.bar.firstChild;
    const share = total ? Math.min(1, n / total) : 0;
    fill.style.width = (share * 100).toFixed(1) + "%";
    c.bar.style.visibility = total ? "visible" : "hidden";
    setText(c.count, total == null ? count(n) : count(n) + "/" + count(total));
    setText(c.rate, rate(r));
    setText(c.eta, duration(eta(n, total, r, state)));
    setText(c.state, state);
    setText(c.ago, duration(Math.max(0, t - seen)) + " ago");
    setText(c.note, note);
    c.note.title = note;
    drawChart(c.chart, chartId);
  }

  // ---- history charts ---------------------------------------------------------------------
  function drawChart(canvas, id) {
    const points = id == null ? null : histories.get(id);
    const stamp = points ? id + ":" + points.length + ":" + points[points.length - 3] : "";
    if (canvas.stamp === stamp) return;
    canvas.stamp = stamp;
    const ratio = window.devicePixelRatio || 1;
    const w = 84, h = 22;
    if (canvas.width !== w * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    canvas.title = "";
    if (!points || points.length < 6) return;
    const count = points.length / 3;
    const t0 = points[0], t1 = points[points.length - 3];
    const span = Math.max(1e-6, t1 - t0);
    let maxN = 0, maxR = 0;
    for (let i = 0; i < points.length; i += 3) {
      maxN = Math.max(maxN, points[i + 1]);
      maxR = Math.max(maxR, points[i + 2]);
    }
    const x = (i) => ((points[i] - t0) / span) * (w - 2) + 1;
    const style = getComputedStyle(canvas);
    if (maxR > 0) {
      ctx.fillStyle = "rgba(201,138,0,0.25)";
      ctx.beginPath();
      ctx.moveTo(1, h);
      for (let i = 0; i < points.length; i += 3) {
        ctx.lineTo(x(i), h - (Math.max(0, points[i + 2]) / maxR) * (h - 2));
      }
      ctx.lineTo(x(points.length - 3), h);
      ctx.fill();
    }
    ctx.strokeStyle = style.getPropertyValue("--run") || "#2a6fdb";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < points.length; i += 3) {
      const y = h - 1 - (maxN ? points[i + 1] / maxN : 0) * (h - 2);
      if (i === 0) ctx.moveTo(x(i), y); else ctx.lineTo(x(i), y);
    }
    ctx.stroke();
    canvas.title = "progress (line) and rate (area): " + count + " points since " + clock(t0)
      + (maxR ? ", peak " + rate(maxR) : "");
  }

  let historyTimer = null;
  let historyDue = Infinity;
  let historyBusy = false;

  // Every 2 s, and soon (0.2 s) when a row on screen has no chart yet.
  function wantHistories(soon) {
    const due = performance.now() + (soon ? 200 : HISTORY_EVERY_MS);
    if (historyTimer !== null && historyDue <= due) return;
    clearTimeout(historyTimer);
    historyDue = due;
    historyTimer = setTimeout(fetchHistories, due - performance.now());
  }

  async function fetchHistories() {
    historyTimer = null;
    historyDue = Infinity;
    if (historyBusy) { wantHistories(false); return; }
    historyBusy = true;
    const ids = [];
    for (const el of pool) {
      if (!el.hidden && el.kind === "stream" && el.item && el.item.s) ids.push(el.item.s.id);
    }
    if (ids.length) {
      try {
        const response = await fetch("api/history?ids=" + ids.join(","), { cache: "no-store" });
        if (response.ok) {
          const body = await response.json();
          for (const [id, points] of Object.entries(body.history)) histories.set(Number(id), points);
          for (const id of histories.keys()) if (!model.streams.has(id)) histories.delete(id);
          schedule();
        }
      } catch (error) { /* the next round tries again */ }
    }
    historyBusy = false;
    wantHistories(false);
  }

  // ---- drawing ----------------------------------------------------------------------------
  function schedule(received) {
    if (received !== undefined) schedule.received = Math.min(schedule.received ?? received, received);
    if (framePending) return;
    framePending = true;
    requestAnimationFrame(render);
  }

  function render() {
    framePending = false;
    const t = now();
    const height = rowHeight();
    if (dirty) {
      build();
      dirty = false;
      rowsEl.style.height = items.length * height + "px";
      $("empty").hidden = items.length > 0 || model.runs.size > 0;
      summary(t);
    }
    const top = rowsEl.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / height) - 5);
    const last = Math.min(items.length, Math.ceil((window.innerHeight - top) / height) + 5);
    let slot = 0;
    for (let i = first; i < last; i++, slot++) {
      const item = items[i];
      const el = rowFor(slot, item.kind);
      el.item = item;
      el.style.transform = "translateY(" + i * height + "px)";
      if (item.kind === "run") fillRun(el, item); else fillStream(el, item, t);
    }
    for (; slot < pool.length; slot++) pool[slot].hidden = true;
    if (pool.some((el) => !el.hidden && el.item && el.item.s && !histories.has(el.item.s.id))) {
      wantHistories(true);
    }
    if (schedule.received !== undefined) {
      performance.measure("hotprobe:apply", { start: schedule.received, end: performance.now() });
      schedule.received = undefined;
    }
    if (!painted && items.length) {
      painted = true;
      performance.mark("hotprobe:first-paint");
    }
  }

  function summary(t) {
    const counts = {};
    for (const s of model.streams.values()) {
      const state = stateOf(s, t);
      counts[state] = (counts[state] || 0) + 1;
    }
    const plural = (count, word) => count + " " + word + (count === 1 ? "" : "s");
    const parts = [plural(model.runs.size, "run"), plural(model.streams.size, "stream") +
      (model.streams.size ? ": " + tally(counts) : "")];
    if (model.totals.events != null) parts.push(model.totals.events.toLocaleString("en") + " events");
    setText($("summary"), parts.join(" · "));
    const forgotten = model.totals.forgotten_runs;
    const notice = $("notice");
    notice.hidden = !forgotten;
    setText(notice, forgotten
      ? forgotten + " older runs (" + model.totals.forgotten_streams.toLocaleString("en")
        + " streams) left out: the oldest finished runs are forgotten first"
      : "");
  }

  // ---- input ------------------------------------------------------------------------------
  $("filter").addEventListener("input", (event) => {
    terms = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    dirty = true;
    schedule();
  });
  function toggle(target) {
    const el = target.closest(".row.group");
    if (!el || !el.groupKey) return;
    if (open.has(el.groupKey)) open.delete(el.groupKey); else open.add(el.groupKey);
    dirty = true;
    schedule();
  }
  rowsEl.addEventListener("click", (event) => toggle(event.target));
  rowsEl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(event.target); }
  });
  window.addEventListener("scroll", () => schedule(), { passive: true });
  window.addEventListener("resize", () => { dirty = true; schedule(); });
  setInterval(() => { dirty = true; schedule(); }, 1000);

  start();
  wantHistories(false);
})();
