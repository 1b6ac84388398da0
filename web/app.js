// The playground: calls the engine's `evaluate` (web/src/lib.rs) and draws its answer.
import init, { evaluate, example } from "./pkg/disruption_guard_web.js";

const $ = (id) => document.getElementById(id);

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// Whether a local hour lies in a window (`{days, start, end}` in minutes); an overnight window's hours
// after midnight belong to the next day.
function inWindow(window, day, hour) {
  if (!window) return false;
  const minute = hour * 60;
  const previous = DAYS[(DAYS.indexOf(day) + 6) % 7];
  if (window.end > window.start) {
    return window.days.includes(day) && minute >= window.start && minute < window.end;
  }
  return (window.days.includes(day) && minute >= window.start) || (window.days.includes(previous) && minute < window.end);
}

function cellClass(value, max) {
  if (value === null) return "skipped";
  if (value === "unbounded") return "unbounded";
  if (value === 0) return "frozen";
  return value > max ? "over" : "ok";
}

let last = null;

function draw(result) {
  last = result;
  const verdict = $("verdict");
  $("findings").replaceChildren();
  $("heatmap").replaceChildren();
  $("freeze").textContent = "";
  // On an error there is no week to explain: no legend, no freeze budgets, no before/after.
  for (const id of ["legend", "freeze-box", "submitted-box"]) $(id).hidden = Boolean(result.error);
  if (result.error) {
    verdict.textContent = `Error: ${result.error}`;
    verdict.className = "rejected";
    return;
  }
  // The settings' business hours or maintenance windows decide the zone: the box shows it and cannot disagree.
  $("zone").value = result.zone;
  $("zone").disabled = result.zoneFromSettings;
  $("zone").title = result.zoneFromSettings ? "from the settings' businessHours or maintenanceWindows timezone" : "";
  $("submitted-box").hidden = result.submitted === null;
  verdict.textContent = {
    accepted: "Accepted: this NodePool passes every rule.",
    mutated: "Accepted with changes: the policy adds what is missing.",
    rejected: `Rejected: ${result.findings.length} problem(s).`,
  }[result.verdict];
  verdict.className = result.verdict;
  for (const f of result.findings) {
    const li = document.createElement("li");
    li.textContent = f.message;
    li.dataset.rule = f.rule;
    $("findings").append(li);
  }
  for (const w of result.warnings) {
    const li = document.createElement("li");
    li.textContent = w;
    li.className = "warning";
    $("findings").append(li);
  }
  for (const c of result.changes) {
    const li = document.createElement("li");
    li.textContent = `disruption-guard ${c}`;
    $("findings").append(li);
  }
  const grid = $("submitted").checked && result.submitted !== null ? result.submitted : result.grid;
  if (grid.error) {
    verdict.textContent += ` ${grid.error}`;
    return;
  }
  result.reasons.forEach((reason, r) => {
    const table = document.createElement("table");
    table.className = "heat";
    table.dataset.reason = reason;
    table.createCaption().textContent =
      `${reason}: nodes that may be disrupted at once (pool of ${result.poolSize}, maxBudgetNodes allows ${result.maxNodes})`;
    const head = table.createTHead().insertRow();
    head.insertCell().outerHTML = "<th></th>";
    for (let h = 0; h < 24; h++) head.insertCell().outerHTML = `<th>${String(h).padStart(2, "0")}</th>`;
    const body = table.createTBody();
    grid.forEach((day, dayIndex) => {
      const row = body.insertRow();
      row.insertCell().outerHTML = `<th>${day.date}</th>`;
      day.hours.forEach((cells, hour) => {
        const td = row.insertCell();
        const value = cells[r];
        td.textContent = value === "unbounded" ? "∞" : value ?? "";
        td.className = cellClass(value, result.maxNodes);
        const weekday = day.date.slice(0, 3);
        if (inWindow(result.business, weekday, hour)) td.classList.add("business");
        if (result.maintenance.some((w) => inWindow(w, weekday, hour))) td.classList.add("window");
        const expiring = result.expiring.filter((e) => e.day === dayIndex && e.hour === hour);
        if (expiring.length) {
          td.classList.add("expiry");
          td.title = `expireAfter reached (forceful, no budget applies): ${expiring.map((e) => e.node).join(", ")}`;
        }
      });
    });
    $("heatmap").append(table);
  });
  $("freeze").textContent = result.freeze.length ? `budgets:\n${result.freeze.join("\n")}` : "(no businessHours or maintenanceWindows in the settings)";
}

function run() {
  const result = JSON.parse(
    evaluate($("nodepool").value, $("settings").value, $("zone").value, Number($("nodes").value) || 1, Date.now()),
  );
  draw(result);
}

await init();
$("nodepool").value = example("nodepool-fixed");
$("settings").value = example("settings-seoul");
$("evaluate").addEventListener("click", run);
$("submitted").addEventListener("change", () => last && draw(last));
run();
document.body.dataset.ready = "true";
