// The wasm figures of BENCHMARKS.md: milliseconds per 12-megapixel photo (decode + hash) and per
// RGBA frame (hash of pixels, 4000x3000 and 1920x1080), in Node and in headless Chromium; the
// native side is wasm/examples/native_bench.rs on the same inputs.
//
//   ffmpeg -i ../shared/reference/pdq/bridge-mods/aaa-orig.jpg -vf scale=4000:3000 -q:v 2 \
//       target/wasm/photo-12mp.jpg
//   scripts/build-wasm.sh && node wasm/bench/bench.mjs target/wasm/photo-12mp.jpg
//
// Needs wasm/node_modules (npm ci --prefix wasm) for the Chromium half.
import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const photoPath = resolve(process.argv[2] ?? join(root, "target/wasm/photo-12mp.jpg"));
const photo = readFileSync(photoPath);

// Runs in Node and, stringified, in the page: the same code times both.
async function measure(vigil, photo) {
  const pattern = (width, height) => {
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i += 4) {
        rgba[i] = Math.floor((x * 255) / width);
        rgba[i + 1] = Math.floor((y * 255) / height);
        rgba[i + 2] = Math.floor((x + y) / 7) % 256;
        rgba[i + 3] = 255;
      }
    }
    return rgba;
  };
  const time = (runs, step) => {
    const ms = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      step();
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    return { min: ms[0], median: ms[runs >> 1] };
  };
  const lines = [];
  const decode = time(5, () => vigil.hashImage(photo));
  lines.push(`decode+hash 12 MP JPEG: min ${decode.min.toFixed(1)} ms, median ${decode.median.toFixed(1)} ms`);
  for (const [width, height] of [[4000, 3000], [1920, 1080]]) {
    const rgba = pattern(width, height);
    const t = time(9, () => vigil.hashPixels(width, height, rgba));
    lines.push(`hashPixels RGBA ${width}x${height}: min ${t.min.toFixed(2)} ms, median ${t.median.toFixed(2)} ms`);
  }
  return lines;
}

const wasmFile = join(root, "target/wasm/nodejs/vigil_wasm_bg.wasm");
const raw = statSync(wasmFile).size;
console.log(`wasm module: ${raw} bytes raw, ${gzipSync(readFileSync(wasmFile), { level: 9 }).length} bytes gzip -9`);
console.log(`photo: ${photoPath} (${photo.length} bytes)`);

const vigil = createRequire(import.meta.url)(join(root, "target/wasm/nodejs/vigil_wasm.js"));
for (const line of await measure(vigil, photo)) console.log(`node ${process.version}: ${line}`);

const { chromium } = await import(join(root, "wasm/node_modules/playwright-core/index.mjs"));
const demo = join(root, "wasm/demo");
const server = createServer((request, response) => {
  const path = new URL(request.url, "http://x").pathname;
  if (path === "/photo.jpg") return response.end(photo);
  try {
    const body = readFileSync(join(demo, path === "/" ? "index.html" : path));
    const type = path.endsWith(".wasm") ? "application/wasm" : path.endsWith(".js") ? "text/javascript" : "text/html";
    response.writeHead(200, { "content-type": type }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const lines = await page.evaluate(async (source) => {
    const vigil = await import("./pkg/vigil_wasm.js");
    await vigil.default();
    const photo = new Uint8Array(await (await fetch("photo.jpg")).arrayBuffer());
    const measure = eval(`(${source})`);
    return measure(vigil, photo);
  }, measure.toString());
  for (const line of lines) console.log(`chromium ${browser.version()}: ${line}`);
} finally {
  await browser.close();
  server.close();
}
