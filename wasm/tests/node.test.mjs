// The wasm package under Node (`node --test`): its hashes must be the native engine's, bit for bit.
//
// - every PNG golden input (golden/manifest.csv, kind `file`): hash, quality and the 8 dihedral
//   hashes from the file's bytes (hashImageDihedral), and the hash of its pixels handed over as
//   RGBA (hashPixels, the path a canvas's ImageData takes);
// - Meta's reference pixels (../shared/reference/pdq-pixels): hash and quality of each of the 31
//   images equal pdqhash's, and the 8 dihedral hashes too (but q0003's two, see below);
// - matching: the demo's binary list, a rotated copy found through the dihedral hashes, the
//   threshold's edge, low quality;
// - errors are thrown as JS Errors carrying the library's message.
//
// Run by scripts/test-wasm.sh; VIGIL_WASM_NODE_PKG names the nodejs package's JS file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodePng, encodePng, rotate90, toRgba } from "./png.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pkgPath = process.env.VIGIL_WASM_NODE_PKG ?? join(root, "target/wasm/nodejs/vigil_wasm.js");
const vigil = createRequire(import.meta.url)(pkgPath);
const golden = join(root, "golden");
const reference = join(root, "../shared/reference/pdq-pixels");

function csvRows(path) {
  return readFileSync(path, "utf8").trim().split("\n").map((line) => line.split(","));
}

function manifestFiles() {
  const [header, ...rows] = csvRows(join(golden, "manifest.csv"));
  const col = Object.fromEntries(header.map((name, i) => [name, i]));
  return rows
    .filter((row) => row[col.kind] === "file")
    .map((row) => ({
      name: row[col.name],
      quality: Number(row[col.quality]),
      hash: row[col.hash],
      dihedral: row[col.dihedral].split(":"),
    }));
}

test("golden PNG inputs: bytes -> hash, quality, dihedral hashes as the manifest", () => {
  const files = manifestFiles();
  assert.ok(files.length >= 9, `only ${files.length} file rows in the manifest`);
  for (const file of files) {
    const bytes = readFileSync(join(golden, file.name));
    const one = vigil.hashImage(bytes, file.name);
    assert.equal(one.hex, file.hash, file.name);
    assert.equal(one.quality, file.quality, file.name);
    const all = vigil.hashImageDihedral(bytes, file.name);
    assert.deepEqual(all.hexes, file.dihedral, file.name);
    assert.equal(all.quality, file.quality, file.name);
    assert.equal(all.original.hex, file.hash, file.name);
    // Typed arrays out: the 32 bytes are the hex form's.
    assert.ok(one.bytes instanceof Uint8Array);
    assert.equal(Buffer.from(one.bytes).toString("hex"), file.hash);
    assert.equal(Buffer.from(all.bytes.subarray(32, 64)).toString("hex"), file.dihedral[1]);
  }
});

test("golden PNG inputs: RGBA pixels (ImageData-shaped) -> the same hashes", () => {
  for (const file of manifestFiles()) {
    const image = decodePng(readFileSync(join(golden, file.name)));
    const rgba = toRgba(image); // a Uint8ClampedArray, as ImageData.data
    const pdq = vigil.hashPixels(image.width, image.height, rgba);
    assert.equal(pdq.hex, file.hash, file.name);
    assert.equal(pdq.quality, file.quality, file.name);
    const all = vigil.hashPixelsDihedral(image.width, image.height, new Uint8Array(rgba.buffer));
    assert.deepEqual(all.hexes, file.dihedral, file.name);
    // The file's own layout gives the same hash.
    const format = image.channels === 1 ? "luma8" : "rgb8";
    assert.equal(vigil.hashPixels(image.width, image.height, image.pixels, format).hex, file.hash);
  }
});

// q0003 (quality 3, nearly flat): the reference's own float32 rounding flips rotate180 and flip-1
// (tests/integration/reference.rs pins the same two in the native tests).
const REFERENCE_DIHEDRAL_EXCEPTIONS = new Set(["reg-test-input/labelme-subset/q0003.png:2", "reg-test-input/labelme-subset/q0003.png:7"]);

test("Meta's reference pixels: hashes equal pdqhash's", (t) => {
  if (!existsSync(reference)) {
    const message = `${reference} not found`;
    if (process.env.CI === "true") assert.fail(`${message}, and CI=true: the reference test cannot run`);
    t.skip(message);
    return;
  }
  const expected = csvRows(join(reference, "expected-pdqhash.csv"));
  assert.equal(expected.length, 31);
  for (const [hash, quality, path] of expected) {
    const pdq = vigil.hashImage(readFileSync(join(reference, path)), path);
    assert.equal(pdq.hex, hash, path);
    assert.equal(pdq.quality, Number(quality), path);
  }
  let compared = 0;
  for (const row of csvRows(join(reference, "expected-pdqhash-dihedral.csv"))) {
    const path = row[9];
    const ours = vigil.hashImageDihedral(readFileSync(join(reference, path)), path).hexes;
    for (let i = 0; i < 8; i++) {
      if (REFERENCE_DIHEDRAL_EXCEPTIONS.has(`${path}:${i}`)) continue;
      assert.equal(ours[i], row[i], `${path} orientation ${i}`);
      compared++;
    }
  }
  assert.equal(compared, 31 * 8 - 2);
});

test("matching against the demo's binary list, dihedral and threshold", () => {
  const matcher = new vigil.Matcher();
  const info = matcher.addList("demo-list.bin", readFileSync(join(root, "wasm/demo/demo-list.bin")));
  assert.equal(info.format, "binary");
  assert.equal(info.entries, 3);
  assert.equal(info.kind, "images");

  const listed = readFileSync(join(golden, "inputs/text-300x420-rgb8.png"));
  const exact = matcher.matchPdq(vigil.hashImage(listed));
  assert.ok(exact.matched);
  assert.equal(exact.best.id, "listed-text-300x420-rgb8");
  assert.equal(exact.best.distance, 0);
  assert.equal(exact.best.orientation, "original");
  assert.equal(exact.best.listName, "demo-list.bin");

  // A rotated copy: the plain hash is far, one of the eight is near (not exact: the image's
  // downsampling to 64x64 does not commute with turning it).
  const rotated = encodePng(rotate90(decodePng(listed)));
  assert.equal(matcher.matchPdq(vigil.hashImage(rotated)).matched, false);
  const found = matcher.matchDihedral(vigil.hashImageDihedral(rotated));
  assert.ok(found.matched);
  assert.equal(found.best.id, "listed-text-300x420-rgb8");
  assert.ok(found.best.distance <= 31, `distance ${found.best.distance}`);
  assert.equal(found.best.orientation, "rotate90"); // turned back 90° (counterclockwise)

  const unrelated = vigil.hashImageDihedral(readFileSync(join(golden, "inputs/photo-256x192-luma8.png")));
  assert.equal(matcher.matchDihedral(unrelated).matched, false);

  // The threshold is inclusive: 31 bits match, 32 do not.
  const hash = Buffer.from(vigil.hashImage(listed).bytes);
  const flip = (bits) => {
    const copy = Buffer.from(hash);
    for (let k = 0; k < bits; k++) copy[k >> 3] ^= 1 << (k & 7);
    return copy;
  };
  assert.equal(matcher.matchBytes(flip(31), 100).best.distance, 31);
  assert.equal(matcher.matchBytes(flip(32), 100).matched, false);
  assert.equal(matcher.matchHex(flip(5).toString("hex")).best.distance, 5);
  const low = matcher.matchBytes(hash, 10);
  assert.ok(low.lowQuality);
  assert.equal(low.matched, false);
  const everything = new vigil.Matcher(true);
  everything.addList("demo-list.bin", readFileSync(join(root, "wasm/demo/demo-list.bin")));
  assert.equal(everything.matchBytes(hash, 10).best.distance, 0);
});

test("errors are thrown as JS Errors with the library's message", () => {
  const png = readFileSync(join(golden, "inputs/photo-320x240-rgb8.png"));
  const cut = png.subarray(0, png.length >> 1);
  assert.throws(() => vigil.hashImage(cut, "cut.png"), (e) => e instanceof Error && /^cut\.png: /.test(e.message));
  assert.throws(() => vigil.hashImage(new Uint8Array(0), "empty.png"), (e) => e instanceof Error && /empty\.png/.test(e.message));
  assert.throws(() => vigil.hashImage(Buffer.from("not an image at all")), /Error: image: /);
  assert.throws(() => vigil.hashPixels(10, 10, new Uint8Array(10)), /pixel buffer holds 10 bytes, the frame needs 400/);
  assert.throws(() => vigil.hashPixels(0, 10, new Uint8Array(10)), /frame is empty/);
  assert.throws(() => vigil.hashPixels(2, 2, new Uint8Array(16), "yuv9"), /unknown pixel format "yuv9"/);
  const matcher = new vigil.Matcher();
  assert.throws(() => matcher.addList("bad.txt", Buffer.from("hello\n")), (e) => e instanceof Error && /bad\.txt/.test(e.message));
  assert.throws(() => matcher.matchHex("abc"), /64 hex digits/);
  assert.throws(() => matcher.matchBytes(new Uint8Array(31)), /32 bytes; got 31/);
});
