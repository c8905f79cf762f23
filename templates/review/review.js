// drama review page: one card per shot, its draws side by side. Plain JS, no build step.
// State lives on the server (the project's state store); the page polls /api/episode and re-renders
// only the cards whose data changed, so playing previews are not interrupted. Under `drama review --watch`
// it also listens to /api/watch (server-sent events): each save of the screenplay is a revision, with the
// shots it added or changed (marked on their cards) and the check's findings (on their cards and in a panel).
// Stills are picked like draws: a shot's keyframes (a row above its video draws) with the same pick call, and the
// views of the character sheets in the Cast section, whose picks become the characters' references.
"use strict";

const TOKEN = document.body.dataset.token;
const VOCAB = JSON.parse(document.getElementById("vocabulary").textContent);
const board = document.getElementById("board");
const flash = document.getElementById("flash");
let model = null;
let focused = 0;
const rendered = new Map(); // shot id -> JSON it was rendered from
let pollTimer = null;
const WHY_OPEN = 3; // a card lists this many planner notes open; more start collapsed
const WATCHING = document.body.dataset.watch === "true";
let revision = null; // the last revision /api/watch sent
let reveal = null; // the id of a card a save just marked, to bring into view once it is rendered

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(message, isError = false) {
  flash.textContent = message;
  flash.classList.toggle("error", isError);
  flash.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { flash.hidden = true; }, isError ? 8000 : 3000);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-drama-token": TOKEN },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await response.json(); } catch (_) { data = { error: `${response.status} ${response.statusText}` }; }
  if (!response.ok || data.error) throw Object.assign(new Error(data.error || `request failed (${response.status})`), { status: response.status });
  return data;
}

async function refresh() {
  try {
    const response = await fetch("/api/episode", { cache: "no-store" });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    model = data;
    render();
  } catch (error) {
    if (!(revision && revision.error)) say(`Could not load the episode: ${error.message}`, true); // else the panel says
  }
  schedule();
}

function busy() {
  if (!model) return false;
  if (model.export && ["queued", "running"].includes(model.export.status)) return true;
  return model.shots.some((shot) => shot.jobs.some((job) => ["queued", "running"].includes(job.status)));
}

function schedule() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(refresh, busy() ? 700 : 4000);
}

function render() {
  document.documentElement.style.setProperty("--aspect", `${model.width}/${model.height}`);
  const picked = model.shots.filter((s) => s.kind === "title_card" || s.pick).length;
  const draws = model.shots.reduce((n, s) => n + s.candidates.length, 0);
  document.getElementById("summary").textContent =
    `${model.shots.length} shots · ${draws} draws · ${picked}/${model.shots.length} picked · ${model.duration.toFixed(1)} s` +
    (model.export && model.export.status ? ` · export ${model.export.status}` : "");
  renderExport();
  renderCast();
  const seen = new Set();
  let lastScene = null;
  let previous = null;
  for (const shot of model.shots) {
    seen.add(shot.id);
    if (shot.scene !== lastScene) {
      lastScene = shot.scene;
      const headId = `scene-${shot.scene}`;
      let head = document.getElementById(headId);
      const heading = shot.scene_heading.startsWith(shot.scene) ? shot.scene_heading : `${shot.scene}  ${shot.scene_heading}`;
      if (!head) head = el("h2", { class: "scene-head", id: headId }, heading);
      placeAfter(head, previous);
      previous = head;
    }
    const key = JSON.stringify([shot, annotation(shot.id)]);
    let card = document.getElementById(`shot-${shot.id}`);
    if (!card || rendered.get(shot.id) !== key) {
      const fresh = shotCard(shot);
      if (card) {
        const form = card.querySelector("form.edit");
        if (form && !form.hidden) fresh.replaceChild(form, fresh.querySelector("form.edit")); // keep typing
        const why = card.querySelector("details.why"), freshWhy = fresh.querySelector("details.why");
        if (why && freshWhy) freshWhy.open = why.open; // keep it as the creator left it
        card.replaceWith(fresh);
      }
      card = fresh;
      rendered.set(shot.id, key);
    }
    placeAfter(card, previous);
    previous = card;
  }
  for (const card of board.querySelectorAll(".shot")) if (!seen.has(card.dataset.id)) card.remove();
  setFocus(Math.min(focused, model.shots.length - 1), false);
  const marked = reveal && document.getElementById(`shot-${reveal}`);
  if (marked) { marked.scrollIntoView({ block: "nearest" }); reveal = null; }
}

function placeAfter(node, previous) {
  const want = previous ? previous.nextSibling : board.firstChild;
  if (node !== want) board.insertBefore(node, want);
}

function renderExport() {
  const button = document.getElementById("export");
  const job = model.export || {};
  button.disabled = ["queued", "running"].includes(job.status);
  button.textContent = job.status === "running" ? `Exporting ${Math.round((job.progress || 0) * 100)}%` : "Export";
  let link = document.getElementById("export-link");
  if (job.status === "done" && job.url) {
    if (!link) { link = el("a", { id: "export-link", target: "_blank" }); button.after(link); }
    link.href = job.url; link.textContent = job.name || "episode.mp4";
  } else if (link) link.remove();
  if (job.status === "failed" && job.error && job.error !== renderExport.lastError) say(`Export failed: ${job.error}`, true);
  renderExport.lastError = job.error;
}

function shotCard(shot) {
  const index = model.shots.indexOf(shot);
  const { mark, findings } = annotation(shot.id);
  const card = el("article", { class: `shot${mark ? ` ${mark.change}` : ""}`, id: `shot-${shot.id}`,
    dataset: { id: shot.id, index }, tabindex: -1, onclick: () => setFocus(index, false) });
  const tags = el("div", { class: "tags" },
    el("span", { class: "tag", title: "shot size" }, `${shot.size} ${shot.size_zh}`),
    el("span", { class: "tag", title: "angle" }, shot.angle),
    el("span", { class: "tag", title: "camera move" }, shot.move + (shot.move === "static" ? "" : shot.move_direction > 0 ? " +" : " −")),
    el("span", { class: "tag", title: "duration" }, `${shot.duration.toFixed(1)} s`),
    shot.override ? el("span", { class: "tag", title: "edited in review" }, "edited") : null,
    ...shot.characters.map((name) => el("span", { class: "tag" }, name)),
    shot.extras ? el("span", { class: "tag extras", title: "unnamed people on screen" }, `+${shot.extras} extras`) : null,
    ...shot.props.map((name) => el("span", { class: "tag prop", title: "prop" }, name)));
  const line = shot.text ? spokenLine("line", shot.speaker && `${shot.speaker}${shot.voiceover ? " (VO)" : ""}`,
    shot.parenthetical, shot.text, shot.voice) : null;
  const dual = shot.dual ? spokenLine("line dual", shot.dual.speaker, shot.dual.parenthetical, shot.dual.text, shot.dual.voice) : null;
  const meta = el("div", { class: "meta" },
    el("h3", {}, `#${index + 1} · ${shot.kind}`, el("span", { class: "muted" }, `  ${shot.id}`),
      mark ? el("span", { class: "mark", title: "what the last save of the screenplay did to this shot" },
        mark.change === "added" ? "new" : "changed") : null),
    mark && mark.fields.length ? changeList(mark.fields) : null,
    findings.length ? el("ul", { class: "findings" }, findings.map((finding) => findingItem(finding, true))) : null,
    tags, line, dual, shot.action ? el("p", { class: "muted" }, shot.action) : null, whyList(shot),
    el("div", { class: "prompt", title: "prompt" }, shot.prompt),
    shot.source ? el("div", { class: "source", title: `script lines ${shot.source_lines.join(", ")}` }, shot.source) : null);
  const draws = el("div", { class: "draws" });
  if (shot.kind === "title_card") {
    draws.append(el("div", { class: "title-shot" }, shot.text || ""));
  } else if (!shot.candidates.length) {
    draws.append(el("p", { class: "muted" }, "No draws yet."));
  }
  shot.candidates.forEach((candidate, number) => draws.append(drawTile(shot, candidate, number)));
  const right = el("div", {}, keyframeRow(shot), draws, controls(shot), jobList(shot), editForm(shot));
  card.append(meta, right);
  return card;
}

// What the watch says about a shot: the last save's mark (added or changed) and the check's findings on its lines.
function annotation(shotId) {
  if (!revision) return { mark: null, findings: [] };
  return { mark: revision.marks.find((mark) => mark.shot === shotId) || null,
    findings: revision.findings.filter((finding) => finding.shots.includes(shotId)) };
}

function changeList(fields) {
  return el("ul", { class: "changes" }, fields.map((change) => el("li", {},
    el("span", { class: "muted" }, `${change.field}: `), el("del", {}, change.before || "—"), " → ",
    el("ins", {}, change.after || "—"))));
}

// A check finding: on a card its line number, in the panel its file and line (a click there shows its card).
function findingItem(finding, onCard) {
  const where = onCard ? (finding.line ? `line ${finding.line}` : "") : finding.where;
  const item = el("li", { class: `finding ${finding.severity}`, title: `fix: ${finding.fix}` },
    where ? el("span", { class: "where" }, where) : null,
    el("span", { class: "severity" }, finding.severity === "info" ? "note" : finding.severity), " ",
    finding.message, onCard ? null : el("span", { class: "fix muted" }, ` — fix: ${finding.fix}`));
  if (!onCard && finding.shots.length) {
    item.classList.add("linked");
    item.addEventListener("click", () => {
      const index = model ? model.shots.findIndex((shot) => shot.id === finding.shots[0]) : -1;
      if (index >= 0) setFocus(index);
    });
  }
  return item;
}

// The watch panel: when the screenplay was last planned and what the save did, why it cannot be planned (the cards
// then stay as the last plan that worked), the shots it removed, and every finding of the check.
function renderWatch() {
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const count = (change) => revision.marks.filter((mark) => mark.change === change).length;
  const changes = [[count("changed"), "changed"], [count("added"), "added"], [revision.removed.length, "removed"]]
    .filter(([n]) => n).map(([n, what]) => `${n} ${what}`).join(", ");
  const severities = [["error", "error"], ["warning", "warning"], ["info", "note"]]
    .map(([severity, word]) => [revision.findings.filter((f) => f.severity === severity).length, word])
    .filter(([n]) => n).map(([n, word]) => plural(n, word)).join(", ");
  const what = revision.error ? "cannot be planned"
    : revision.replanned ? `re-planned: ${changes || "no shot changed"}` : "planned";
  document.getElementById("watch-status").textContent =
    `${revision.at} ${what} in ${revision.took.toFixed(2)} s · ${plural(revision.shots, "shot")} · ` +
    `${revision.duration.toFixed(1)} s · ${severities || "no findings"}`;
  const error = document.getElementById("watch-error");
  error.hidden = !revision.error;
  error.textContent = revision.error ? `${revision.error}\n(${model ? "the cards show the last plan that worked"
    : "fix it and save: the cards appear once it plans"})` : "";
  const removed = document.getElementById("watch-removed");
  removed.hidden = !revision.removed.length;
  removed.replaceChildren(...revision.removed.map((shot) => el("li", {}, el("span", { class: "mark gone" }, "removed"),
    ` #${shot.index + 1} ${shot.scene} `, shot.kind === "title_card" ? `【${shot.text}】`
      : shot.text ? `${shot.speaker ? `${shot.speaker}：` : ""}${shot.text}` : shot.action || shot.kind)));
  document.getElementById("watch-findings").replaceChildren(...revision.findings.map((f) => findingItem(f, false)));
}

function follow() {
  const panel = document.getElementById("watch");
  panel.hidden = false;
  const stream = new EventSource("/api/watch");
  stream.addEventListener("revision", (event) => {
    const incoming = JSON.parse(event.data);
    if (revision && incoming.number === revision.number) { renderWatch(); return; } // the same one, after a reconnect
    revision = incoming;
    reveal = revision.marks.length ? revision.marks[0].shot : null;
    renderWatch();
    if (revision.error) { // the last plan that worked, with the findings as they are now; the panel says why
      flash.hidden = true;
      if (model) render();
    } else refresh();
  });
  stream.addEventListener("error", () => {
    document.getElementById("watch-status").textContent = "lost the server: reconnecting…";
  });
}

// A line as the card shows it: who, how, what, and how long its voice lasts (once voiced).
function spokenLine(className, speaker, parenthetical, text, voice) {
  return el("p", { class: className },
    speaker ? el("strong", {}, `${speaker}：`) : null,
    parenthetical ? el("span", { class: "muted" }, `（${parenthetical}）`) : null, text,
    voice ? el("span", { class: "voice muted", title: "length of the voiced line" }, ` voice ${voice.toFixed(1)} s`) : null);
}

// Why the planner chose this blocking; open when short, collapsed when long.
function whyList(shot) {
  if (!shot.notes.length) return null;
  return el("details", { class: "why", open: shot.notes.length <= WHY_OPEN },
    el("summary", {}, `why (${shot.notes.length})`), el("ul", {}, shot.notes.map((note) => el("li", {}, note))));
}

// A draw's score and its parts, each part's explanation on hover (video draws and stills alike).
function scoreParts(candidate) {
  return [
    el("div", { class: "score" }, el("strong", {}, candidate.score.toFixed(3)), el("span", { class: "muted" }, `seed ${candidate.seed}`)),
    el("ul", { class: "parts" }, candidate.parts.map((part) => el("li", { title: `${part.explanation} (weight ${part.weight})` },
      el("span", {}, part.name), el("span", {}, part.value === null ? "n/a" : part.value.toFixed(2))))),
  ];
}

function drawTile(shot, candidate, number) {
  const picked = shot.pick === candidate.id;
  const why = candidate.stale_reason ? `stale: ${candidate.stale_reason}` : candidate.stale ? "stale: the shot changed since" : "";
  const tile = el("div", {
    class: `draw${picked ? " picked" : ""}${candidate.stale ? " stale" : ""}`,
    dataset: { candidate: candidate.id }, title: `draw ${number + 1}: seed ${candidate.seed} — click to pick${why ? `\n${why}` : ""}`,
    onclick: (event) => { event.stopPropagation(); pick(shot, candidate); },
  },
  el("video", { src: candidate.video, poster: candidate.poster, muted: true, loop: true, autoplay: true, playsinline: true, preload: "metadata" }),
  el("span", { class: "badge" }, `${number + 1}${candidate.stale ? " · stale" : ""}`),
  picked ? el("span", { class: "pickmark" }, shot.pick_by === "creator" ? "picked" : "best") : null,
  ...scoreParts(candidate),
  candidate.stale_reason ? el("p", { class: "stale-reason" }, candidate.stale_reason) : null);
  tile.querySelector("video").muted = true;
  return tile;
}

// A still (a keyframe, a view of a character sheet): its picture, score and parts, a pick button, and a mark on the
// one in use ("picked" by the creator, "best" picked automatically).
function stillTile(candidate, number, label, mark, onPick) {
  const tile = el("div", {
    class: `draw still${mark ? " picked" : ""}${candidate.stale ? " stale" : ""}`,
    dataset: { candidate: candidate.id }, title: `${label}: seed ${candidate.seed} — click to pick`,
    onclick: (event) => { event.stopPropagation(); onPick(); },
  },
  el("img", { src: candidate.poster, alt: label, loading: "lazy" }),
  el("span", { class: "badge" }, `${number}${candidate.stale ? " · stale" : ""}`),
  mark ? el("span", { class: "pickmark" }, mark) : null,
  ...scoreParts(candidate),
  el("button", { type: "button", class: "pick-still", disabled: mark === "picked",
    onclick: (event) => { event.stopPropagation(); onPick(); } }, mark === "picked" ? "Picked" : "Pick"));
  return tile;
}

// The shot's keyframe stills, above its video draws: the video draws start from the one in use.
function keyframeRow(shot) {
  const keyframes = shot.keyframes;
  if (!keyframes) return null;
  const count = el("input", { type: "number", min: 1, max: 12, value: 1, "aria-label": "how many stills" });
  const row = el("div", { class: "stills" }, keyframes.candidates.length ? keyframes.candidates.map((candidate, number) =>
    stillTile(candidate, number + 1, `still ${number + 1}`, keyframes.pick === candidate.id ? (keyframes.pick_by === "creator" ? "picked" : "best") : null,
      () => pick(shot, candidate, `still ${number + 1}`))) : el("p", { class: "muted" }, "No keyframes yet."));
  return el("section", { class: "keyframes", "aria-label": "keyframes" },
    el("h4", {}, "Keyframes ", el("span", { class: "muted" }, "the video draws start from the picked one")), row,
    el("div", { class: "controls" },
      el("button", { type: "button", class: "more-stills", onclick: (event) => { event.stopPropagation(); drawMore(shot, Number(count.value), "keyframe"); } }, "More stills"), count));
}

// The Cast section: each character's sheet, a row of stills per view; a pick makes the view one of their references.
function renderCast() {
  const section = document.getElementById("cast");
  const key = JSON.stringify(model.cast);
  if (renderCast.key === key) return;
  renderCast.key = key;
  section.hidden = !model.cast.length;
  document.getElementById("cast-sheets").replaceChildren(...model.cast.map(sheetCard));
}

function sheetCard(character) {
  const references = character.references.map((url) => el("img", { class: "reference", src: url, alt: `reference of ${character.name}` }));
  const views = character.views.map((view) => {
    const stills = view.candidates.map((candidate, number) => stillTile(candidate, number + 1, `${view.label} ${number + 1}`,
      view.pick === candidate.id ? "picked" : null, () => pickSheet(character, view, candidate)));
    return el("div", { class: "view", dataset: { view: view.view } }, el("h4", {}, view.label),
      el("div", { class: "stills" }, stills.length ? stills : el("p", { class: "muted" }, "No draws of this view.")));
  });
  return el("article", { class: "sheet", dataset: { name: character.name } },
    el("h3", {}, character.name, " ", el("span", { class: "muted" }, references.length ? "references:" : "no references yet"), references),
    views);
}

async function pickSheet(character, view, candidate, replace = false) {
  try {
    await post("/api/cast/pick", { candidate: candidate.id, replace });
    say(`${character.name}'s ${view.label} view is one of their references now.`);
    refresh();
  } catch (error) {
    if (error.status === 409 && !replace && confirm(`${error.message}\n\nReplace their references with the sheet's picks?`)) {
      pickSheet(character, view, candidate, true);
    } else say(error.message, true);
  }
}

function controls(shot) {
  if (shot.kind === "title_card") return el("div");
  const count = el("input", { type: "number", min: 1, max: 12, value: 1, "aria-label": "how many draws" });
  return el("div", { class: "controls" },
    el("button", { type: "button", class: "draw-more", onclick: (event) => { event.stopPropagation(); drawMore(shot, Number(count.value)); } }, "Draw more"), count,
    el("button", { type: "button", class: "edit-shot", onclick: (event) => { event.stopPropagation(); toggleEdit(shot); } }, "Edit shot"));
}

function jobList(shot) {
  return el("div", { class: "jobs" }, shot.jobs.filter((job) => job.status !== "done").map((job) =>
    el("div", { class: `job ${job.status === "failed" ? "error" : ""}` },
      job.status === "failed" ? `${job.kind} failed: ${job.error}` :
        job.id.startsWith("task-") ? job.name :  // a paid task: its engine, draw and phase (queued, running, downloading)
        [`${job.kind} ${job.status} `, el("progress", { max: job.total || 1, value: job.done || 0 }), ` ${job.done || 0}/${job.total || 0}`])));
}

function select(name, options, value) {
  return el("select", { name }, options.map((option) => el("option", { value: option.value, selected: option.value === value }, option.label)));
}

function editForm(shot) {
  const form = el("form", { class: "edit", hidden: true, onclick: (event) => event.stopPropagation() },
    el("label", {}, "Size"), select("size", VOCAB.sizes, shot.size),
    el("label", {}, "Angle"), select("angle", VOCAB.angles, shot.angle),
    el("label", {}, "Move"), select("move", VOCAB.moves, shot.move),
    el("label", {}, "Direction"), select("move_direction", [{ value: "1", label: "+ (right / up / in)" }, { value: "-1", label: "− (left / down / out)" }], String(shot.move_direction)),
    el("label", {}, "Duration (s)"), el("input", { name: "duration", type: "number", step: "0.1", min: "0.2", max: "60", value: shot.duration.toFixed(1) }),
    el("label", {}, "Starts"), select("continuity", [{ value: "auto", label: "as the project says" }, { value: "chain", label: "from the shot before's last frame" }, { value: "cut", label: "afresh" }], shot.continuity),
    el("textarea", { name: "prompt", "aria-label": "prompt" }, shot.prompt),
    el("p", { class: "error-text", hidden: true }),
    el("div", { class: "buttons" },
      el("button", { type: "submit", class: "primary" }, "Save & redraw"),
      el("button", { type: "button", onclick: () => { form.hidden = true; } }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const errorText = form.querySelector(".error-text");
    try {
      await post(`/api/shots/${shot.id}/edit`, {
        prompt: data.prompt, size: data.size, angle: data.angle, move: data.move,
        move_direction: Number(data.move_direction), duration: Number(data.duration), continuity: data.continuity,
      });
      form.hidden = true;
      say(`Shot ${shot.id} edited; redrawing.`);
      refresh();
    } catch (error) {
      errorText.textContent = error.message;
      errorText.hidden = false;
    }
  });
  return form;
}

function toggleEdit(shot) {
  const form = document.querySelector(`#shot-${shot.id} form.edit`);
  if (form) { form.hidden = !form.hidden; if (!form.hidden) form.querySelector("textarea").focus(); }
}

async function pick(shot, candidate, label = `draw ${shot.candidates.indexOf(candidate) + 1}`) {
  try {
    await post(`/api/shots/${shot.id}/pick`, { candidate: candidate.id });
    say(`Picked ${label} for ${shot.id}.`);
    refresh();
  } catch (error) { say(error.message, true); }
}

async function drawMore(shot, count, track = "video") {
  try {
    await post(`/api/shots/${shot.id}/draw`, { count, track });
    say(`Drawing ${count} more${track === "keyframe" ? " stills" : ""} for ${shot.id}…`);
    refresh();
  } catch (error) { say(error.message, true); }
}

function setFocus(index, scroll = true) {
  if (!model || index < 0 || index >= model.shots.length) return;
  focused = index;
  for (const card of board.querySelectorAll(".shot")) card.classList.toggle("focused", Number(card.dataset.index) === index);
  const card = document.getElementById(`shot-${model.shots[index].id}`);
  if (card && scroll) card.scrollIntoView({ block: "center", behavior: "smooth" });
}

document.addEventListener("keydown", (event) => {
  if (!model || event.target.closest("input, textarea, select") || event.metaKey || event.ctrlKey || event.altKey) return;
  const shot = model.shots[focused];
  if (event.key === "j" || event.key === "ArrowDown" || event.key === "ArrowRight") { setFocus(focused + 1); event.preventDefault(); }
  else if (event.key === "k" || event.key === "ArrowUp" || event.key === "ArrowLeft") { setFocus(focused - 1); event.preventDefault(); }
  else if (/^[1-9]$/.test(event.key) && shot) {
    const candidate = shot.candidates[Number(event.key) - 1];
    if (candidate) pick(shot, candidate);
  } else if (event.key === "d" && shot && shot.kind !== "title_card") drawMore(shot, 1);
  else if (event.key === "e" && shot && shot.kind !== "title_card") { toggleEdit(shot); event.preventDefault(); }
  else if (event.key === "p") playCut();
});

document.getElementById("export").addEventListener("click", async () => {
  try { await post("/api/export", {}); say("Export started."); refresh(); } catch (error) { say(error.message, true); }
});

// The episode player: picked takes in order with their voice lines and subtitles, before any export.
const player = {
  section: document.getElementById("player"), video: document.getElementById("player-video"),
  voices: [...document.querySelectorAll("#player audio")], sub: document.getElementById("player-sub"),
  title: document.getElementById("player-title"), pos: document.getElementById("player-pos"), index: 0, timer: null,
};

function playCut() {
  if (!model || !model.cut.length) { say("Nothing to play yet: render some draws first.", true); return; }
  player.section.hidden = false;
  player.index = 0;
  playItem();
}

function playItem() {
  clearTimeout(player.timer);
  const item = model.cut[player.index];
  if (!item) { player.pos.textContent = "end of cut"; player.voices.forEach((voice) => voice.pause()); return; }
  player.pos.textContent = `${player.index + 1}/${model.cut.length} · ${item.shot_id}`;
  player.sub.textContent = item.subtitle || "";
  player.title.hidden = item.kind !== "title_card";
  player.title.textContent = item.kind === "title_card" ? item.subtitle : "";
  if (item.video) { player.video.src = item.video; player.video.play().catch(() => {}); }
  else player.video.removeAttribute("src");
  player.voices.forEach((voice, number) => { // the shot's line and, for dual dialogue, the one spoken over it
    if (item.audio[number]) { voice.src = item.audio[number]; voice.play().catch(() => {}); }
    else voice.pause();
  });
  player.timer = setTimeout(() => { player.index += 1; playItem(); }, item.duration * 1000);
}

document.getElementById("play-cut").addEventListener("click", playCut);
document.getElementById("player-close").addEventListener("click", () => {
  clearTimeout(player.timer); player.video.pause(); player.voices.forEach((voice) => voice.pause()); player.section.hidden = true;
});

if (WATCHING) follow();
refresh();
