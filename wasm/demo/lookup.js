// The one place the page asks for a decision. Today it matches against a list bundled with the
// page (demo-list.bin, fetched once, matched in wasm on this device); a remote matcher (private
// set intersection, say) could replace this function without touching the page.
import init, { Matcher } from "./pkg/vigil_wasm.js";

/** Distances up to this many bits (of 256) count as the same image (PDQ practice). */
const THRESHOLD = 31;

let matcher;

async function loadMatcher() {
  await init();
  const response = await fetch("demo-list.bin");
  if (!response.ok) throw new Error(`demo-list.bin: HTTP ${response.status}`);
  const m = new Matcher();
  m.addList("demo-list.bin", new Uint8Array(await response.arrayBuffer()), THRESHOLD);
  return m;
}

/** Loads the list ahead of the first lookup. */
export function prepareLookup() {
  matcher ??= loadMatcher();
  return matcher;
}

/**
 * Decides whether an image may be sent.
 * @param {{ bytes: Uint8Array, quality: number }} hashes the image's 8 dihedral PDQ hashes
 *   (256 bytes, as DihedralHashes.bytes) and its quality
 * @returns {Promise<{ block: boolean, distance?: number, orientation?: string, id?: string,
 *   lowQuality?: boolean }>}
 */
export async function lookup(hashes) {
  const m = await prepareLookup();
  const outcome = m.matchDihedralBytes(hashes.bytes, hashes.quality);
  const best = outcome.best;
  if (best === undefined) return { block: false, lowQuality: outcome.lowQuality };
  return { block: true, distance: best.distance, orientation: best.orientation, id: best.id };
}
