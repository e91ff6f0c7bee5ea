// The report page's script (runs in the browser, no network): reads the embedded JSON and draws
// every plot with uPlot. An episode's plots are built when its section opens, so a report of
// hundreds of episodes opens fast. Every plot container gets data-state="drawn" once drawn, or
// "empty" with the reason when its data is not in the log: tests and --png wait on that.
/* global uPlot */
(function () {
  "use strict";
  const run = JSON.parse(document.getElementById("report-data").textContent);
  const COLORS = { commanded: "#2563eb", predicted: "#f59e0b", measured: "#111827" };
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d"];
  const WIDTH = () => Math.max(380, Math.min(700, Math.floor((document.querySelector("main").clientWidth - 80) / 2)));

  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  };
  const fmt = (x, d = 2) => (x == null || !Number.isFinite(x) ? "—" : x.toFixed(d));

  function container(parent, name) {
    const box = el("div", { class: "plot", "data-plot": name, "data-state": "pending" });
    parent.append(box);
    return box;
  }
  function empty(box, why) {
    box.append(el("h3", { text: box.dataset.plot }), el("div", { class: "empty", text: why }));
    box.dataset.state = "empty";
  }
  function plot(box, opts, data) {
    opts.width = opts.width || WIDTH();
    opts.height = opts.height || 220;
    opts.hooks = opts.hooks || {};
    const draws = opts.hooks.draw || [];
    opts.hooks.draw = [...draws, () => (box.dataset.state = "drawn")];
    return new uPlot(opts, data, box);
  }
  const line = (label, stroke, extra) => Object.assign({ label, stroke, width: 1.5, spanGaps: true, points: { show: false } }, extra);
  const xSeconds = { label: "t (s)", value: (u, v) => fmt(v) };

  // ---- whole run ----
  function header() {
    document.getElementById("title").textContent = run.title;
    document.getElementById("meta").textContent =
      `${run.episodes.length} episode(s) from ${run.sources.length} log(s): ${run.sources.join(", ")} · made ${run.created}`;
  }

  function rates(parent) {
    const sec = el("section", { class: "card", id: "rates" }, el("h2", { text: "Success rate by task (95% Wilson interval)" }));
    parent.append(sec);
    const t = el("table", {}, el("tr", {}, ...["model", "task", "successes", "episodes", "rate", "95% CI"].map((h, i) => el("th", { class: i > 1 ? "num" : "", text: h }))));
    for (const r of run.rates) {
      t.append(el("tr", {}, el("td", { text: r.model }), el("td", { text: r.task }), el("td", { class: "num", text: String(r.successes) }),
        el("td", { class: "num", text: String(r.episodes) }), el("td", { class: "num", text: `${(100 * r.rate).toFixed(1)}%` }),
        el("td", { class: "num", text: `${(100 * r.low).toFixed(1)}% – ${(100 * r.high).toFixed(1)}%` })));
    }
    sec.append(t);
    const box = container(sec, "success rate");
    if (run.rates.length === 0) return empty(box, "no episodes");
    const labels = run.rates.map((r) => (new Set(run.rates.map((x) => x.model)).size > 1 ? `${r.model} · ${r.task}` : r.task));
    const xs = run.rates.map((_, i) => i);
    plot(box, {
      title: "success rate",
      height: 240,
      scales: { x: { time: false, range: [-0.6, xs.length - 0.4] }, y: { range: [0, 1] } },
      axes: [{ splits: () => xs, values: (u, s) => s.map((i) => labels[i] ?? "") }, { values: (u, s) => s.map((v) => `${Math.round(v * 100)}%`) }],
      series: [{ label: "task", value: (u, i) => labels[i] ?? "" }, { label: "rate", stroke: "#2563eb", fill: "#93c5fd", paths: uPlot.paths.bars({ size: [0.5, 80] }), points: { show: false }, value: (u, v) => `${fmt(100 * v, 1)}%` }],
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#1e3a8a";
          ctx.lineWidth = 2 * devicePixelRatio;
          run.rates.forEach((r, i) => {
            const x = u.valToPos(i, "x", true);
            const y0 = u.valToPos(r.low, "y", true);
            const y1 = u.valToPos(r.high, "y", true);
            const w = 8 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, y0); ctx.lineTo(x, y1);
            ctx.moveTo(x - w, y0); ctx.lineTo(x + w, y0);
            ctx.moveTo(x - w, y1); ctx.lineTo(x + w, y1);
            ctx.stroke();
          });
          ctx.restore();
        }],
      },
    }, [xs, run.rates.map((r) => r.rate)]);
  }

  function episodeTable(parent) {
    const sec = el("section", { class: "card", id: "episodes" }, el("h2", { text: "Episodes" }));
    const t = el("table", {}, el("tr", {}, ...["#", "log", "model", "task", "seed", "command", "outcome", "duration (s)", "holds", "step p50 (ms)"].map((h, i) => el("th", { class: i >= 7 ? "num" : "", text: h }))));
    run.episodes.forEach((e, i) => {
      const link = el("a", { href: `#${e.id}`, text: String(i + 1) });
      link.addEventListener("click", () => (document.getElementById(e.id).open = true));
      t.append(el("tr", {}, el("td", {}, link), el("td", { text: e.source.split("/").pop() }), el("td", { text: e.model }), el("td", { text: e.task }),
        el("td", { text: e.seed == null ? "—" : String(e.seed) }), el("td", { text: e.command }),
        el("td", { class: e.outcome === "success" ? "outcome-success" : "outcome-other", text: e.outcome + (e.reason ? ` (${e.reason})` : "") }),
        el("td", { class: "num", text: fmt(e.duration_s) }), el("td", { class: "num", text: String(e.holds.length) }),
        el("td", { class: "num", text: e.latency ? fmt(e.latency.p50) : "—" })));
    });
    sec.append(t);
    parent.append(sec);
  }

  // ---- one episode ----
  function jointPlot(parent, j) {
    const box = container(parent, `joint ${j.name}`);
    const parts = [["commanded", j.commanded], ["predicted", j.predicted], ["measured", j.measured]].filter(([, s]) => s.t.length > 0);
    if (parts.length === 0) return empty(box, `no samples of ${j.name}`);
    const data = uPlot.join(parts.map(([, s]) => [s.t, s.v]));
    plot(box, { title: `${j.name}: commanded vs predicted vs measured`, scales: { x: { time: false } },
      series: [xSeconds, ...parts.map(([k]) => line(k, COLORS[k], k === "predicted" ? { dash: [5, 3] } : {}))] }, data);
  }

  function surprisePlot(parent, e) {
    const box = container(parent, "surprise");
    const s = e.surprise;
    if (s.t.length === 0) return empty(box, "no surprise in this log (needs /omniloop/surprise, or the observation and prediction omnitokens)");
    const cols = s.columns.map((_, c) => s.v.map((row) => row[c]));
    plot(box, { title: "surprise per column (RMS, prediction vs observation)", scales: { x: { time: false } },
      series: [xSeconds, ...s.columns.map((name, i) => line(name, PALETTE[i % PALETTE.length]))] }, [s.t, ...cols]);
  }

  function latencyPlot(parent, e) {
    const box = container(parent, "step latency");
    const L = e.latency;
    if (!L) return empty(box, `step latency: ${e.stepSource}`);
    const mids = L.counts.map((_, i) => (L.edges[i] + L.edges[i + 1]) / 2);
    const marks = [["p50", L.p50, "#16a34a"], ["p99", L.p99, "#dc2626"]];
    plot(box, {
      title: `policy step latency: p50 ${fmt(L.p50)} ms, p99 ${fmt(L.p99)} ms (${L.n} steps)`,
      scales: { x: { time: false, range: [L.edges[0], L.edges[L.edges.length - 1]] } },
      series: [{ label: "ms", value: (u, v) => fmt(v) }, { label: "steps", stroke: "#4b5563", fill: "#cbd5e1", paths: uPlot.paths.bars({ size: [1, 100], gap: 1 }), points: { show: false } }],
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          for (const [name, v, color] of marks) {
            const x = u.valToPos(v, "x", true);
            ctx.strokeStyle = ctx.fillStyle = color;
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
            ctx.fillText(name, x + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
          }
          ctx.restore();
        }],
      },
    }, [mids, L.counts]);
    box.append(el("div", { class: "note", text: `measured: ${e.stepSource}` }));
  }

  function holdsPlot(parent, e) {
    const box = container(parent, "holds");
    if (e.holds.length === 0) return empty(box, "no holds in this log: the robot was never held, or /omniloop/holds was not recorded");
    const reasons = e.holdReasons;
    const tables = reasons.map((r, i) => {
      const hs = e.holds.filter((h) => h.reasons.includes(r));
      return [hs.map((h) => h.t), hs.map(() => i + 1)];
    });
    const data = uPlot.join(tables);
    const end = Math.max(e.duration_s, ...e.holds.map((h) => h.t));
    plot(box, {
      title: `holds by reason (${e.holds.length} held ticks)`,
      height: 80 + 26 * reasons.length,
      scales: { x: { time: false, range: [0, Math.max(end, 0.1)] }, y: { range: [0.4, reasons.length + 0.6] } },
      axes: [{}, { size: 130, splits: () => reasons.map((_, i) => i + 1), values: (u, s) => s.map((v) => reasons[v - 1] ?? "") }],
      series: [xSeconds, ...reasons.map((r, i) => ({ label: r, stroke: PALETTE[(i + 1) % PALETTE.length], paths: () => null, points: { show: true, size: 7, fill: PALETTE[(i + 1) % PALETTE.length] } }))],
    }, data);
  }

  function strip(parent, e) {
    const box = container(parent, "camera frames");
    box.append(el("h3", { text: "camera frames with detections" }));
    if (e.frames.length === 0) return empty(box, "no camera frames or detections in this log");
    const row = el("div", { class: "strip" });
    box.append(row);
    let pending = e.frames.length;
    const done = () => { if (--pending === 0) box.dataset.state = "drawn"; };
    for (const f of e.frames) {
      const fig = el("figure", {});
      row.append(fig);
      if (f.png) {
        const scale = Math.max(1, Math.round(256 / f.width));
        const c = el("canvas", { width: String(f.width * scale), height: String(f.height * scale) });
        fig.append(c);
        const img = new Image();
        img.onload = () => {
          const ctx = c.getContext("2d");
          ctx.imageSmoothingEnabled = false;
          ctx.drawImage(img, 0, 0, c.width, c.height);
          if (f.view === "camera") drawBoxes(ctx, f.marks, scale);
          done();
        };
        img.onerror = () => (box.dataset.state = "error");
        img.src = f.png;
      }
      if (f.view === "topdown") {
        const c = el("canvas", { width: "180", height: "140" });
        fig.append(c);
        drawTopDown(c, f.marks);
      }
      if (!f.png) done();
      fig.append(el("figcaption", { text: `${fmt(f.t)} s · ${f.marks.length} det.${f.view === "topdown" ? " (top-down: no camera model)" : ""}` }));
    }
  }

  function rgb(c, a = 1) { return `rgba(${c[0]},${c[1]},${c[2]},${a})`; }

  function drawBoxes(ctx, marks, s) {
    ctx.lineWidth = 2;
    ctx.font = "11px sans-serif";
    for (const m of marks) {
      if (m.kind !== "box") continue;
      ctx.strokeStyle = rgb(m.color);
      ctx.strokeRect(m.u0 * s, m.v0 * s, (m.u1 - m.u0) * s, (m.v1 - m.v0) * s);
      const w = ctx.measureText(m.label).width + 4;
      ctx.fillStyle = "rgba(0,0,0,0.55)";
      ctx.fillRect(m.u0 * s, m.v0 * s - 13, w, 13);
      ctx.fillStyle = rgb(m.color);
      ctx.fillText(m.label, m.u0 * s + 2, m.v0 * s - 3);
    }
  }

  function drawTopDown(c, marks) {
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#f1f5f9";
    ctx.fillRect(0, 0, c.width, c.height);
    const pts = marks.filter((m) => m.kind === "point");
    const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
    const x0 = Math.min(-0.3, ...xs) - 0.05, x1 = Math.max(0.3, ...xs) + 0.05;
    const y0 = Math.min(-0.2, ...ys) - 0.05, y1 = Math.max(0.2, ...ys) + 0.05;
    const k = Math.min(c.width / (x1 - x0), c.height / (y1 - y0));
    ctx.strokeStyle = "#94a3b8";
    ctx.strokeRect(1, 1, c.width - 2, c.height - 2);
    ctx.font = "10px sans-serif";
    for (const p of pts) {
      const u = (p.x - x0) * k, v = (y1 - p.y) * k;
      ctx.fillStyle = rgb(p.color);
      ctx.beginPath(); ctx.arc(u, v, 5, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = "#111827";
      ctx.fillText(p.label, u + 7, v + 3);
    }
  }

  function episodeSection(parent, e, i) {
    const d = el("details", { class: "episode", id: e.id });
    const title = `Episode ${i + 1}: ${e.task}${e.seed == null ? "" : ` seed ${e.seed}`} — "${e.command}" — ${e.outcome} in ${fmt(e.duration_s)} s`;
    d.append(el("summary", { text: title }));
    parent.append(d);
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      const body = el("div", { class: "body" });
      d.append(body);
      body.append(el("div", { class: "note", text: `${e.model} · ${e.source}` }));
      body.append(el("h3", { text: "joints" }));
      const g = el("div", { class: "grid" });
      body.append(g);
      if (e.joints.length === 0) empty(container(g, "joints"), "no joint commands, predictions or states in this log");
      for (const j of e.joints) jointPlot(g, j);
      const g2 = el("div", { class: "grid" });
      body.append(el("h3", { text: "model" }), g2);
      surprisePlot(g2, e);
      latencyPlot(g2, e);
      holdsPlot(body, e);
      strip(body, e);
      if (e.said.length) body.append(el("h3", { text: "the model said" }), ...e.said.map((s) => el("div", { class: "said", text: `${fmt(s.t)} s: ${s.text}` })));
      if (e.unreadable.length) body.append(el("h3", { text: "not readable in this log" }), ...e.unreadable.map((u) => el("div", { class: "note", text: `${u.topic}: ${u.count} message(s): ${u.reason}` })));
    };
    d.addEventListener("toggle", () => d.open && build());
    if (i === 0 || run.episodes.length <= 4) d.open = true;
    if (d.open) build();
  }

  header();
  const main = document.querySelector("main");
  rates(main);
  episodeTable(main);
  run.episodes.forEach((e, i) => episodeSection(main, e, i));
  /** For tests and --png: open every episode (building its plots). */
  window.omniloopOpenAll = () => document.querySelectorAll("details.episode").forEach((d) => (d.open = true));
  document.body.dataset.ready = "1";
})();
