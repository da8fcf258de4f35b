// The compose box: each attached image is hashed here, in wasm, and the lookup decides before
// the message would be encrypted and sent. Sending is simulated: the message is appended to the
// conversation locally; nothing is uploaded.
import init, { hashImageDihedral } from "./pkg/vigil_wasm.js";
import { lookup, prepareLookup } from "./lookup.js";

const form = document.getElementById("compose");
const message = document.getElementById("message");
const attach = document.getElementById("attach");
const attached = document.getElementById("attached");
const send = document.getElementById("send");
const status = document.getElementById("status");
const conversation = document.getElementById("conversation");

function say(outcome, text) {
  for (const key of ["distance", "orientation", "entry"]) delete status.dataset[key];
  status.dataset.outcome = outcome;
  status.textContent = text;
}

const ORIENTATION_WORDS = {
  original: "as listed",
  rotate90: "turned 90°",
  rotate180: "turned 180°",
  rotate270: "turned 270°",
  flipx: "mirrored left to right",
  flipy: "mirrored top to bottom",
  "flip+1": "mirrored along a diagonal",
  "flip-1": "mirrored along the other diagonal",
};

/** Hashes one file and asks the lookup; what to tell the user. */
async function check(file) {
  const started = performance.now();
  const bytes = new Uint8Array(await file.arrayBuffer());
  let hashes;
  try {
    hashes = hashImageDihedral(bytes, file.name);
  } catch (error) {
    return { file, error: error.message };
  }
  const hashed = performance.now();
  const decision = await lookup({ bytes: hashes.bytes, quality: hashes.quality });
  return { file, decision, hashMs: hashed - started, totalMs: performance.now() - started };
}

function appendMessage(text, files) {
  const item = document.createElement("li");
  if (text) item.append(text);
  for (const file of files) {
    const img = document.createElement("img");
    img.alt = file.name;
    img.src = URL.createObjectURL(file); // a local blob: URL; the file stays on this device
    item.append(img);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = "encrypted and sent (demo: kept on this page)";
  item.append(meta);
  conversation.append(item);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const files = [...attach.files];
  const text = message.value.trim();
  if (!text && files.length === 0) return;
  send.disabled = true;
  try {
    const results = await Promise.all(files.map(check));
    const failed = results.find((r) => r.error);
    if (failed) {
      say("error", `Not sent: ${failed.file.name} could not be read as an image (${failed.error}).`);
      return;
    }
    const blocked = results.find((r) => r.decision.block);
    if (blocked) {
      const d = blocked.decision;
      say(
        "blocked",
        `Not sent: ${blocked.file.name} matches a known image on the list (entry ${d.id}, ` +
          `${d.distance} of 256 bits apart, ${ORIENTATION_WORDS[d.orientation] ?? d.orientation}). ` +
          `Checked on this device in ${blocked.totalMs.toFixed(1)} ms.`,
      );
      status.dataset.distance = d.distance;
      status.dataset.orientation = d.orientation;
      status.dataset.entry = d.id;
      return;
    }
    appendMessage(text, files);
    const took = results.map((r) => `${r.file.name}: ${r.totalMs.toFixed(1)} ms`).join(", ");
    say("sent", files.length ? `Sent. Checked on this device (${took}); no match.` : "Sent.");
    message.value = "";
    attach.value = "";
    attached.textContent = "";
  } finally {
    send.disabled = false;
  }
});

attach.addEventListener("change", () => {
  attached.textContent = [...attach.files].map((f) => f.name).join(", ");
});

try {
  await init();
  await prepareLookup();
  send.disabled = false;
  say("ready", "Ready: attach an image and press Send.");
} catch (error) {
  say("error", `The checker could not start: ${error.message}`);
}
