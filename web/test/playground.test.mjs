// The playground in a real browser: Debian's Chromium, driven by playwright-core, loading web/ from a
// loopback server. `SCREENSHOTS=1` also writes docs/playground-{fixed,incident,maintenance}.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

// The repository's own example, as the page's `example("nodepool-incident")` returns it.
const INCIDENT = readFileSync(fileURLToPath(new URL("../../examples/manifests/nodepool-incident.yaml", import.meta.url)), "utf8");
const BERLIN = readFileSync(fileURLToPath(new URL("../../examples/settings-berlin-maintenance.yaml", import.meta.url)), "utf8");

let server, browser, page, base;

before(async () => {
  server = createServer(async (req, res) => {
    const path = normalize(join(WEB, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    if (!file.startsWith(WEB)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1600, height: 1300 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(base);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  server?.close();
});

const shot = async (name) => {
  if (process.env.SCREENSHOTS) await page.screenshot({ path: join(DOCS, `playground-${name}.png`), fullPage: true });
};

test("the fixed pool is accepted and Seoul business hours show frozen", async () => {
  assert.match(await page.textContent("#verdict"), /^Accepted/);
  // Tuesday 10:00 KST in the Underutilized table: frozen, outlined as business hours.
  const cell = page.locator('table[data-reason="Underutilized"] tbody tr').first().locator("td").nth(10);
  const weekday = await page.locator('table[data-reason="Underutilized"] tbody tr').first().locator("th").textContent();
  if (!["Sat", "Sun"].includes(weekday.slice(0, 3))) {
    assert.equal(await cell.textContent(), "0");
    assert.match(await cell.getAttribute("class"), /frozen/);
    assert.match(await cell.getAttribute("class"), /business/);
  }
  assert.match(await page.textContent("#freeze"), /schedule: "0 0 \* \* 1-5"/);
  await shot("fixed");
});

test("the incident pool is rejected and its cells are over the maximum", async () => {
  await page.fill("#nodepool", INCIDENT);
  await page.click("#evaluate");
  await page.waitForSelector("#verdict.rejected");
  const findings = await page.locator("#findings li").allTextContents();
  assert.ok(findings.some((f) => f.includes("[nodepool-budget-max]") && f.includes('"100%"')), findings.join("\n"));
  assert.ok(findings.some((f) => f.includes("[nodepool-consolidate-after]") && f.includes('"30s"')));
  const over = page.locator('table[data-reason="Underutilized"] td.over');
  assert.equal(await over.count(), 7 * 24, "every hour of the week allows all 30 nodes");
  assert.equal(await over.first().textContent(), "30");
  await shot("incident");
});

test("a lone freeze leaves unbounded hours in the warning colour", async () => {
  await page.fill("#nodepool", INCIDENT.replace("- nodes: 100%", '- {nodes: "0", schedule: "0 0 * * 1-5", duration: 9h}'));
  await page.click("#evaluate");
  await page.waitForSelector("td.unbounded");
  assert.ok((await page.locator('table[data-reason="Drifted"] td.unbounded').count()) > 0);
  assert.equal(await page.locator('table[data-reason="Drifted"] td.unbounded').first().textContent(), "∞");
});

test("pasted nodes, pods and a Deployment feed the capacity calculator", async () => {
  const nodes = Array.from({ length: 10 }, (_, i) =>
    `---\nkind: Node\nmetadata: {name: n${i}, labels: {karpenter.sh/nodepool: general-purpose}}\n`).join("");
  const pods = [0, 1, 2].map((i) =>
    `---\nkind: Pod\nmetadata: {name: api-${i}, namespace: shop, labels: {app: api}}\nspec: {nodeName: n${i}}\n`).join("");
  const deployment = "---\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n" +
    "spec: {replicas: 3, selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}}}\n";
  await page.fill("#nodepool", INCIDENT + nodes + pods + deployment);
  await page.click("#evaluate");
  await page.waitForSelector("#verdict.rejected");
  const findings = await page.locator("#findings li").allTextContents();
  assert.ok(findings.some((f) => f.includes("[nodepool-capacity]") && f.includes("api: 3 replicas on 3 nodes")), findings.join("\n"));
});

test("a pool the policy changes is drawn as admitted, with the submitted one a click away", async () => {
  const unfrozen = INCIDENT.replace("WhenEmptyOrUnderutilized", "WhenEmpty").replace("30s", "5m")
    .replace("nodes: 100%", "nodes: 10%");
  await page.fill("#nodepool", unfrozen);
  await page.click("#evaluate");
  await page.waitForSelector("#verdict.mutated");
  // The settings' business hours set the zone: the box shows theirs and cannot disagree.
  assert.equal(await page.inputValue("#zone"), "Asia/Seoul");
  assert.ok(await page.isDisabled("#zone"));
  const business = page.locator('table[data-reason="Underutilized"] td.business');
  assert.ok((await business.count()) > 0);
  assert.equal(await business.first().textContent(), "0", "frozen as admitted");
  await page.check("#submitted");
  assert.equal(await business.first().textContent(), "3", "10% of 30 as submitted");
  await page.uncheck("#submitted");
  assert.equal(await business.first().textContent(), "0");
});

test("maintenance windows are outlined, and every other hour is frozen as admitted", async () => {
  const settings = await page.inputValue("#settings");
  const unfrozen = INCIDENT.replace("WhenEmptyOrUnderutilized", "WhenEmpty").replace("30s", "5m")
    .replace("nodes: 100%", "nodes: 10%");
  await page.fill("#settings", BERLIN);
  await page.fill("#nodepool", unfrozen);
  await page.click("#evaluate");
  await page.waitForSelector("#verdict.mutated");
  assert.equal(await page.inputValue("#zone"), "Europe/Berlin");
  const table = page.locator('table[data-reason="Underutilized"]');
  const open = table.locator("td.window");
  assert.equal(await open.count(), 4, "Saturday 02:00-06:00");
  // UTC schedules cannot follow the clock change: one hour of the four is frozen (05:00 in winter, 02:00
  // in summer); everything outside the window is frozen.
  const inside = await open.allTextContents();
  assert.deepEqual([...inside].sort(), ["0", "3", "3", "3"], inside.join(","));
  const outside = await table.locator("td:not(.window)").allTextContents();
  assert.equal(outside.length, 7 * 24 - 4);
  assert.ok(outside.every((v) => v === "0"), outside.join(","));
  assert.match(await page.textContent("#freeze"), /schedule: "0 4 \* \* 6"\n {2}duration: 165h/);
  await shot("maintenance");
  await page.fill("#settings", settings);
});

test("a pasted node's expiry is marked in its hour, with its name", async () => {
  // Created 720h (expireAfter) before two days from now, on the hour: it expires in the drawn week.
  const expires = Math.floor(Date.now() / 3600000) * 3600000 + 2 * 86400000;
  const created = new Date(expires - 720 * 3600000).toISOString().replace(".000Z", "Z");
  const node = `---\nkind: Node\nmetadata: {name: old-node, creationTimestamp: "${created}", ` +
    "labels: {karpenter.sh/nodepool: general-purpose}}\n";
  await page.fill("#nodepool", INCIDENT + node);
  await page.click("#evaluate");
  await page.waitForSelector("td.expiry");
  const marked = page.locator('table[data-reason="Drifted"] td.expiry');
  assert.equal(await marked.count(), 1);
  assert.match(await marked.getAttribute("title"), /old-node/);
  // Its cell is the local hour (Asia/Seoul, UTC+9, the settings' zone) two days from now.
  const DAY = 86400000, KST = 9 * 3600000;
  const row = Math.floor((expires + KST) / DAY) - Math.floor((Date.now() + KST) / DAY);
  const hour = new Date(expires + KST).getUTCHours();
  const cell = page.locator('table[data-reason="Drifted"] tbody tr').nth(row).locator("td").nth(hour);
  assert.match(await cell.getAttribute("class"), /expiry/);
});

test("bad input is reported, not thrown, and leaves no legend or freeze box", async () => {
  await page.fill("#nodepool", "kind: Pod");
  await page.click("#evaluate");
  assert.match(await page.textContent("#verdict"), /^Error: paste a NodePool/);
  assert.ok(await page.isHidden("#legend"));
  assert.ok(await page.isHidden("#freeze-box"));
  assert.ok(await page.isHidden("#submitted-box"));
});
