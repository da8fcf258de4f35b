// The upload-prevention demo (wasm/demo/) in headless Chromium, driven by playwright-core:
// - a listed golden image is blocked (distance 0, orientation original, its list entry named);
// - a copy of a listed image turned 90 degrees is blocked through the dihedral hashes;
// - an unrelated image is "sent" (appended to the conversation);
// - a corrupt file is refused with a clear error, and nothing is sent;
// - every request the page made is recorded: only GETs of the page's own static files, none
//   with a body, none carrying a hash; the image never leaves the page.
// It also records whether this Chromium exposes a WebGPU adapter (target/wasm/webgpu.txt), and
// saves a screenshot (target/wasm/demo.png).
//
// Needs wasm/demo/pkg (wasm-bindgen --target web); run by scripts/test-wasm.sh.
// CHROMIUM names the browser (default /usr/bin/chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { decodePng, encodePng, rotate90 } from "./png.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const demo = join(root, "wasm/demo");
const out = join(root, "target/wasm");
const golden = join(root, "golden/inputs");
const MIME = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
};

/** Serves wasm/demo/ on a free local port; what `scripts/demo-wasm` serves with Python. */
function serve() {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    const file = join(demo, path === "/" ? "index.html" : path);
    try {
      if (!file.startsWith(demo)) throw new Error("outside");
      const body = readFileSync(file);
      response.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(server)));
}

async function launch(args = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", ...args],
  });
}

/** What navigator.gpu.requestAdapter() gives on the demo's origin (a secure context). */
async function webgpuAnswer(page) {
  return page.evaluate(async () => {
    if (!("gpu" in navigator)) return "navigator.gpu is undefined";
    try {
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return "navigator.gpu exists; requestAdapter() resolved to null";
      const info = adapter.info ?? {};
      return `adapter: vendor=${info.vendor} architecture=${info.architecture} description=${info.description}`;
    } catch (error) {
      return `requestAdapter() threw: ${error.message}`;
    }
  });
}

async function attachAndSend(page, files, text) {
  await page.$eval("#status", (el) => (el.dataset.outcome = "checking"));
  await page.fill("#message", text);
  await page.setInputFiles("#attach", files);
  await page.click("#send");
  await page.waitForFunction(
    () => ["blocked", "sent", "error"].includes(document.getElementById("status").dataset.outcome),
  );
  const status = await page.$eval("#status", (el) => ({ ...el.dataset, text: el.textContent }));
  const sent = await page.$$eval("#conversation li", (items) => items.length);
  return { status, sent };
}

test("the demo blocks listed images on the device and sends others", async () => {
  mkdirSync(out, { recursive: true });
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 720, height: 720 } });
    const requests = [];
    page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById("status").dataset.outcome === "ready");

    const webgpu = [`default flags: ${await webgpuAnswer(page)}`];

    const unrelated = await attachAndSend(page, join(golden, "photo-256x192-luma8.png"), "holiday");
    assert.equal(unrelated.status.outcome, "sent", unrelated.status.text);
    assert.equal(unrelated.sent, 1);

    const listed = await attachAndSend(page, join(golden, "photo-320x240-rgb8.png"), "look");
    assert.equal(listed.status.outcome, "blocked", listed.status.text);
    assert.equal(listed.status.distance, "0");
    assert.equal(listed.status.orientation, "original");
    assert.equal(listed.status.entry, "listed-photo-320x240-rgb8");
    assert.match(listed.status.text, /Not sent: photo-320x240-rgb8\.png matches .* 0 of 256 bits apart.* ms\./);
    assert.equal(listed.sent, 1, "a blocked image must not reach the conversation");

    const turned = encodePng(rotate90(decodePng(readFileSync(join(golden, "text-300x420-rgb8.png")))));
    const rotated = await attachAndSend(page, { name: "turned.png", mimeType: "image/png", buffer: turned }, "");
    assert.equal(rotated.status.outcome, "blocked", rotated.status.text);
    assert.equal(rotated.status.entry, "listed-text-300x420-rgb8");
    assert.notEqual(rotated.status.orientation, "original");
    assert.equal(rotated.sent, 1);
    await page.screenshot({ path: join(out, "demo.png") });

    const png = readFileSync(join(golden, "lines-200x150-rgb8.png"));
    const corrupt = { name: "broken.png", mimeType: "image/png", buffer: png.subarray(0, 200) };
    const broken = await attachAndSend(page, corrupt, "");
    assert.equal(broken.status.outcome, "error", broken.status.text);
    assert.match(broken.status.text, /Not sent: broken\.png could not be read as an image \(broken\.png: .+\)/);
    assert.equal(broken.sent, 1);
    assert.deepEqual(errors, []);

    // Only the page's own files were fetched, all by GET without a body; thumbnails are blob:.
    const allowed = new Set([
      "/", "/style.css", "/app.js", "/lookup.js", "/pkg/vigil_wasm.js", "/pkg/vigil_wasm_bg.wasm",
      "/demo-list.bin", "/favicon.ico",
    ]);
    for (const r of requests) {
      assert.equal(r.method, "GET", r.url);
      assert.equal(r.body, null, r.url);
      if (r.url.startsWith("blob:")) continue;
      const url = new URL(r.url);
      assert.equal(url.origin, origin, r.url);
      assert.ok(allowed.has(url.pathname), `unexpected request ${r.url}`);
      assert.equal(url.search, "", r.url);
    }
    assert.ok(requests.some((r) => r.url.endsWith("/demo-list.bin")));

    // The answer with WebGPU asked for explicitly (Chromium keeps it off on Linux by default).
    const flagged = await launch(["--enable-unsafe-webgpu"]);
    try {
      const probe = await flagged.newPage();
      await probe.goto(`${origin}/`);
      webgpu.push(`--enable-unsafe-webgpu: ${await webgpuAnswer(probe)}`);
    } finally {
      await flagged.close();
    }
    const report = `${await browser.version()}\n${webgpu.join("\n")}\n`;
    writeFileSync(join(out, "webgpu.txt"), report);
    console.log(`WebGPU in headless Chromium ${report}`);
  } finally {
    await browser.close();
    server.close();
  }
});
