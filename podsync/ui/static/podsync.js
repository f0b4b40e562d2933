// podsync's page: actions go to the server with the install's secret; news comes back as
// server-sent events, after which the parts are fetched again (already escaped HTML).
"use strict";

const secret = document.querySelector('meta[name="podsync-secret"]').content;
const PARTS = ["players", "podcasts", "activity", "history"];
let openPodcast = null;
let reloadTimer = null;
const pending = new Set();

function say(text, ok) {
  const box = document.getElementById("messages");
  const line = document.createElement("p");
  line.className = ok ? "ok" : "error";
  line.textContent = text;
  box.prepend(line);
  while (box.children.length > 3) box.lastChild.remove();
}

function size(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

async function post(url, body, type = "application/json") {
  if (!secret) { say("This page is read-only: open it with 'podsync ui' to make changes.", false); return null; }
  let answer;
  try {
    answer = await fetch(url, {
      method: "POST",
      headers: { "X-Podsync-Secret": secret, "Content-Type": type },
      body: type === "application/json" ? JSON.stringify(body) : body,
    });
  } catch (err) {
    say("podsync is not answering: " + err, false);
    return null;
  }
  const text = await answer.text();
  let data;
  try { data = JSON.parse(text); } catch { data = { ok: false, message: text.trim() }; }
  say(data.message, answer.ok);
  return data;
}

async function reload(name) {
  const box = document.getElementById(name);
  const answer = await fetch("/part/" + name);
  if (!answer.ok || !box) return;
  const html = await answer.text();
  // what the user opened stays open
  const open = [...box.querySelectorAll("details[data-keep]")].filter((d) => d.open);
  const keep = new Set(open.map((d) => d.dataset.keep));
  box.innerHTML = html;
  box.querySelectorAll("details[data-keep]").forEach((d) => { if (keep.has(d.dataset.keep)) d.open = true; });
}

async function showEpisodes(id) {
  openPodcast = id;
  const answer = await fetch("/part/episodes/" + encodeURIComponent(id));
  document.getElementById("episodes").innerHTML = answer.ok ? await answer.text() : "";
}

function scheduleReload(names) {
  names.forEach((n) => pending.add(n));
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    const now = [...pending];
    pending.clear();
    now.forEach((n) => (n === "episodes" ? openPodcast && showEpisodes(openPodcast) : reload(n)));
  }, 150);
}

function jobRow(job, title) {
  const live = document.getElementById("live");
  let row = [...live.children].find((r) => r.dataset.job === job);
  if (!row) {
    row = document.createElement("div");
    row.className = "job";
    row.dataset.job = job;
    const head = document.createElement("strong");
    const bar = document.createElement("progress");
    const detail = document.createElement("span");
    detail.className = "detail";
    row.append(head, bar, detail);
    live.prepend(row);
  }
  row.querySelector("strong").textContent = title;
  return row;
}

function showProgress(p) {
  const row = jobRow(p.job, p.title);
  if (row.classList.contains("done") || row.classList.contains("failed")) return;  // late news
  const bar = row.querySelector("progress");
  bar.max = p.total_bytes || p.total || 1;
  bar.value = p.total_bytes ? p.bytes : p.done;
  const parts = [`${p.verb} ${p.done}/${p.total}`];
  if (p.bytes) parts.push(size(p.bytes) + (p.total_bytes ? " of " + size(p.total_bytes) : ""));
  if (p.bytes) parts.push(size(p.speed) + "/s");
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.current) parts.push(p.current);
  row.querySelector(".detail").textContent = parts.join(" · ");
}

function showJob(j) {
  const row = jobRow(j.job, j.title);
  if (j.state === "running") {
    row.classList.remove("done", "failed");
    row.querySelector(".detail").textContent = "starting…";
    return;
  }
  row.classList.add(j.ok ? "done" : "failed");
  const bar = row.querySelector("progress");
  bar.max = 1;
  bar.value = 1;
  row.querySelector(".detail").textContent = j.ok ? "done" : "failed (see the report below)";
  say(`${j.title}: ${j.ok ? "done" : "failed"}`, j.ok);
}

function listen() {
  const state = document.getElementById("live-state");
  const events = new EventSource("/events");
  events.addEventListener("open", () => { state.textContent = "live"; state.className = "live on"; });
  events.addEventListener("error", () => { state.textContent = "reconnecting…"; state.className = "live off"; });
  events.addEventListener("progress", (e) => showProgress(JSON.parse(e.data)));
  events.addEventListener("job", (e) => { showJob(JSON.parse(e.data)); scheduleReload(["activity", "players"]); });
  events.addEventListener("changed", (e) => {
    const why = JSON.parse(e.data).why;
    const parts = { settings: ["settings", "players", "podcasts"], mounts: ["players"] };
    scheduleReload(parts[why] || [...PARTS, "episodes"]);
  });
}

document.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button) return;
  const d = button.dataset;
  if (d.action === "fetch") post("/api/fetch", d.podcast ? { podcast: Number(d.podcast) } : {});
  else if (d.action === "unsubscribe") {
    if (confirm(`Unsubscribe from ${d.title}? Its cached episodes are deleted, and it leaves the players at their next push.`)) {
      post("/api/unsubscribe", { podcast: Number(d.podcast) });
    }
  }
  else if (d.action === "push") post("/api/push", { device: d.device });
  else if (d.action === "eject") post("/api/eject", { device: d.device });
  else if (d.action === "episodes") showEpisodes(d.podcast);
  else if (d.action === "played") post("/api/played", { keys: [d.key], played: d.played === "true" });
});

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  ev.preventDefault();
  if (form.id === "subscribe") {
    const answer = await post("/api/subscribe", { url: form.elements.url.value });
    if (answer && answer.ok) form.reset();
  } else if (form.id === "import") {
    const file = form.elements.file.files[0];
    if (!file) { say("Choose an OPML file first.", false); return; }
    await post("/api/import", file, "text/x-opml");
    form.reset();
  } else if (form.classList.contains("setting")) {
    const input = form.elements.value;
    const body = { section: form.dataset.section, key: form.dataset.key,
                   value: input.type === "checkbox" ? input.checked : input.value };
    if (form.dataset.device) body.device = form.dataset.device;
    if (form.dataset.podcast) body.podcast = form.dataset.podcast;
    await post("/api/setting", body);
  }
});

if (!secret) document.body.classList.add("readonly");
listen();
