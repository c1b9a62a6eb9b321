// Pumpside department view. No library, no build step: the page is
// rebuilt from the server's JSON with createElement and textContent only
// (names and alarm texts come from the consoles: never parsed as HTML).
//
// Safety rule kept here as on the server: a value is shown as a number only
// while it is no older than its max_age, judged on the server's clock
// (offset measured at each message), so a page that stops hearing from
// the server blanks its values as they go stale instead of freezing them.
"use strict";

const NO_VALUE = "---";
let page = null;        // the latest page
let offset = 0;         // server clock - browser clock, ms
let lastMessage = 0;    // browser time of the latest message
let detailKey = null;   // the theatre whose trends are open
let detailTimer = null;

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function serverNow() { return Date.now() + offset; }

function clock(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return s + " s";
  const m = Math.round(s / 60);
  if (m < 120) return m + " min";
  return (m / 60).toFixed(1) + " h";
}

function hms(s) {
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
  return h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
}

function hm(s) {
  s = Math.max(0, Math.floor(s));
  return Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0");
}

// valid reports whether a value may be shown as a number now.
function valid(v, now) {
  return v.text !== "" && v.t > 0 && now - v.t <= v.max_age && v.t - now <= v.max_age;
}

function noData(t, now) {
  return t.no_data || t.clock_ahead || now - t.last_data > t.no_data_after;
}

const PRIORITY = {
  high: { icon: "!!!", word: "HIGH" },
  medium: { icon: "!!", word: "MEDIUM" },
  low: { icon: "!", word: "LOW" },
};

function alarmBox(a, count) {
  const box = el("div", "alarm");
  if (!a) {
    box.classList.add("none");
    box.append(el("span", "icon", "✓"), el("span", "text", "No alarm on the console"));
    box.dataset.priority = "none";
    return box;
  }
  const p = PRIORITY[a.priority] || { icon: "?", word: a.priority.toUpperCase() };
  box.classList.add(a.priority);
  if (a.state === "active") box.classList.add("flash");
  box.dataset.priority = a.priority;
  box.dataset.alarm = a.id;
  box.setAttribute("role", "alert");
  const icon = el("span", "icon", p.icon);
  icon.setAttribute("aria-hidden", "true");
  box.append(icon, el("span", "prio", p.word), el("span", "text", a.text || a.id));
  const notes = [];
  if (a.state === "acknowledged") notes.push("acknowledged");
  if (a.state === "audio_paused") notes.push("audio paused");
  if (a.latched) notes.push("latched");
  if (notes.length) box.append(el("span", "state", "(" + notes.join(", ") + ")"));
  if (count > 1) box.append(el("span", "more", "+" + (count - 1) + " more"));
  return box;
}

function tile(t, now) {
  const dead = noData(t, now);
  const art = el("article", "tile");
  art.dataset.key = t.key;
  art.dataset.case = t.case;
  art.tabIndex = 0;
  art.setAttribute("role", "button");
  art.setAttribute("aria-label", (t.theatre || t.case) + ": open the trends of the last hour");
  if (dead) art.classList.add("nodata");
  art.dataset.nodata = dead ? "true" : "false";
  if (!dead && t.alarm) art.classList.add("alarm-" + t.alarm.priority);

  const head = el("div", "head");
  head.append(el("h2", "", t.theatre || "Case " + t.case));
  const ct = el("span", "casetime");
  ct.title = "case time";
  ct.textContent = !dead && t.case_start > 0 ? hms((now - t.case_start) / 1000) : NO_VALUE;
  head.append(ct);
  art.append(head);

  if (dead) {
    const nd = el("div", "nodata-box");
    nd.append(el("strong", "", t.clock_ahead ? "NO DATA: CONSOLE CLOCK AHEAD" : "NO DATA"));
    nd.append(el("span", "", t.clock_ahead ? "The console's clock is ahead of this server's: its values are withheld."
      : "Nothing from this theatre since " + clock(t.last_data) + " (" + ago(now - t.last_data) + " ago)."));
    art.append(nd);
  } else {
    let phase = t.phase_text || t.phase || "Phase not known";
    const since = t.live_time > 0 ? (now - t.live_time) / 1000 : 0;
    const running = t.phase === "bypass" || t.phase === "arrest";
    if (t.bypass_s > 0) phase += " · bypass " + hm(t.bypass_s + (running ? since : 0));
    if (t.clamp_s > 0) phase += " · clamp " + hm(t.clamp_s + (t.clamp ? since : 0));
    art.append(el("div", "phase", phase));
    art.append(alarmBox(t.alarm, t.alarm_count));
    if (t.alarms && t.alarms.length > 1) {
      // The others, smaller: the highest leads, none is hidden.
      const also = el("div", "also");
      for (const a of t.alarms.slice(1, 5)) {
        const p = PRIORITY[a.priority] || { icon: "?", word: a.priority };
        const s = el("span", "prio-" + a.priority);
        s.dataset.alarm = a.id;
        s.append(el("b", "", p.icon + " "), document.createTextNode(a.text || a.id));
        also.append(s);
      }
      if (t.alarm_count > 5) also.append(el("span", "", "…and " + (t.alarm_count - 5) + " more"));
      art.append(also);
    }
  }

  const dl = el("dl", "values");
  for (const v of t.values) {
    const ok = !dead && valid(v, now);
    const cell = el("div", "v");
    cell.dataset.channel = v.channel;
    cell.dataset.t = ok ? String(v.t) : "";
    const dt = el("dt", "", v.label);
    const dd = el("dd");
    const num = el("span", "num", ok ? v.text : NO_VALUE);
    if (!ok) {
      num.classList.add("novalue");
      num.title = dead ? "no data" : (v.why || (v.text === "" ? "no value" : "stale"));
    }
    dd.append(num, el("span", "unit", v.unit));
    if (v.channel === "derived.do2i" && t.do2i_threshold > 0) {
      const below = ok && v.num < t.do2i_threshold;
      const th = Math.round(t.do2i_threshold); // scaled with temperature: a whole mL/min/m², as the console shows it
      const tgt = el("span", "target", below ? "below " + th : "target ≥ " + th);
      if (below) cell.classList.add("below");
      dd.append(tgt);
    }
    cell.append(dt, dd);
    dl.append(cell);
  }
  art.append(dl);
  const foot = el("div", "age");
  foot.textContent = "data " + ago(now - t.last_data) + " old · case " + t.case;
  art.append(foot);
  art.addEventListener("click", () => openDetail(t.key));
  art.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") openDetail(t.key); });
  return art;
}

function render() {
  if (!page) return;
  const now = serverNow();
  const tiles = $("tiles");
  const list = page.theatres.map((t) => tile(t, now));
  if (list.length === 0) list.push(el("p", "empty", "No theatre has sent a live state in the last 12 hours."));
  tiles.replaceChildren(...list);

  const f = $("freshness");
  if (page.newest > 0) {
    f.textContent = "Newest data " + ago(now - page.newest) + " old (" + clock(page.newest) + ")";
  } else {
    f.textContent = "No data yet";
  }
  const silent = Date.now() - lastMessage;
  const banner = $("banner");
  let msg = "";
  if (page.error) msg = "The database does not answer: " + page.error + ". Values blank as they go stale.";
  if (silent > 10000) msg = "No update from the server for " + ago(silent) + ": values blank as they go stale.";
  banner.hidden = msg === "";
  banner.textContent = msg;
}

function connect() {
  const es = new EventSource("/api/stream");
  es.onmessage = (ev) => {
    let p;
    try { p = JSON.parse(ev.data); } catch (e) { return; }
    lastMessage = Date.now();
    offset = p.now - lastMessage;
    page = p;
    render();
  };
  es.onerror = () => {
    // Logged out or the session expired: back to the login.
    fetch("/api/page", { credentials: "same-origin" }).then((r) => {
      if (r.status === 401) location.href = "/login";
    }).catch(() => {});
  };
}

// ---- trends of one theatre

const SVGNS = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

function chart(s, tr, events) {
  const W = 640, H = 110, L = 48, R = 8, T = 8, B = 18;
  const box = el("figure", "chart");
  box.dataset.channel = s.channel;
  const vals = s.points.filter((v) => v !== null);
  const cap = el("figcaption", "", s.label + " (" + s.unit + ")");
  box.append(cap);
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": s.label + " over the last hour" });
  box.append(g);
  if (vals.length === 0) {
    const t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "nodata" });
    t.textContent = "no valid value in the last hour";
    g.append(t);
    return box;
  }
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (s.channel === "derived.do2i" && tr.do2i_threshold > 0) { lo = Math.min(lo, tr.do2i_threshold); hi = Math.max(hi, tr.do2i_threshold); }
  if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.1; lo -= pad; hi += pad;
  const x = (i) => L + (i + 0.5) * (W - L - R) / s.points.length;
  const xt = (t) => L + (t - tr.from) / (tr.to - tr.from) * (W - L - R);
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  g.append(svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }));
  for (const v of [lo + pad, hi - pad]) {
    const t = svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" });
    t.textContent = v.toFixed(s.precision);
    g.append(t);
  }
  for (let m = 0; m <= 60; m += 15) {
    const t = svg("text", { x: xt(tr.from + m * 60000), y: H - 4, "text-anchor": m === 60 ? "end" : "middle", class: "axis" });
    t.textContent = m === 60 ? "now" : "-" + (60 - m) + " min";
    g.append(t);
  }
  if (s.channel === "derived.do2i" && tr.do2i_threshold > 0) {
    g.append(svg("line", { x1: L, x2: W - R, y1: y(tr.do2i_threshold), y2: y(tr.do2i_threshold), class: "threshold" }));
  }
  for (const e of events) {
    g.append(svg("line", { x1: xt(e.t), x2: xt(e.t), y1: T, y2: H - B, class: "event" }));
  }
  let d = "", pen = false;
  s.points.forEach((v, i) => {
    if (v === null) { pen = false; return; }   // a gap is a gap: never bridged
    d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
    pen = true;
  });
  g.append(svg("path", { d: d, class: "trace" }));
  return box;
}

function renderDetail(tr) {
  $("detail-title").textContent = (tr.theatre || "Case " + tr.case) + ": the last hour";
  $("detail-meta").textContent = "case " + tr.case + " · " + clock(tr.from) + " to " + clock(tr.to) +
    " · each point the mean of " + tr.step / 1000 + " s of valid samples; gaps are no value";
  const marks = tr.events.filter((e) => e.t >= tr.from);
  $("charts").replaceChildren(...tr.series.map((s) => chart(s, tr, marks)));
  $("events").replaceChildren(...(tr.events.length ? tr.events.map((e) => {
    const li = el("li");
    li.append(el("time", "", clock(e.t)), el("span", "kind", e.kind.replace(/_/g, " ")), el("span", "", e.text));
    return li;
  }) : [el("li", "empty", "none in the last hour")]));
  $("alarms").replaceChildren(...(tr.alarms.length ? tr.alarms.map((a) => {
    const li = el("li", "prio-" + a.priority);
    const p = PRIORITY[a.priority] || { icon: "?", word: a.priority };
    li.append(el("time", "", clock(a.t)), el("span", "icon", p.icon), el("span", "kind", p.word + " " + a.alarm), el("span", "", a.state));
    return li;
  }) : [el("li", "empty", "none in the last hour")]));
}

function loadDetail() {
  if (detailKey === null) return;
  const key = detailKey;
  fetch("/api/trends?key=" + encodeURIComponent(key), { credentials: "same-origin" }).then((r) => {
    if (r.status === 401) { location.href = "/login"; return null; }
    if (!r.ok) throw new Error(r.status + " " + r.statusText);
    return r.json();
  }).then((tr) => {
    if (tr && detailKey === key) renderDetail(tr);
  }).catch((e) => {
    $("detail-meta").textContent = "The trends could not be read (" + e.message + "); retrying.";
  });
}

function openDetail(key) {
  detailKey = key;
  $("detail-title").textContent = key;
  $("detail-meta").textContent = "Reading the last hour…";
  $("charts").replaceChildren();
  $("detail").hidden = false;
  loadDetail();
  clearInterval(detailTimer);
  detailTimer = setInterval(loadDetail, 10000);
}

function closeDetail() {
  detailKey = null;
  clearInterval(detailTimer);
  $("detail").hidden = true;
}

document.addEventListener("DOMContentLoaded", () => {
  $("detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDetail(); });
  connect();
  setInterval(render, 1000);
});
