// Call recordings on the Agent Monitor (staff only): a finished call that kept its audio gets "Play
// recording" (an audio player: the caller on the left, what they heard on the right) and "Download".
// An <audio> element cannot send the bearer token, so the WAV is fetched, then played from a blob.
import { api, tokens } from "/static/common/auth.js";

const url = (id, download) => `/agent-monitor/api/calls/${encodeURIComponent(id)}/recording${download ? "?download=true" : ""}`;

/** The controls for one finished call (`c` from /agent-monitor/api/interactions?source=calls). */
export function recordingControls(c, staff) {
  if (!staff || !c.has_recording) return "";
  return `<div class="recording" data-call-id="${c.id}"><button type="button" class="play-recording">Play recording</button>` +
    ` <button type="button" class="download-recording">Download</button> <span class="recording-error error"></span></div>`;
}

async function fetchWav(id, download) {
  const get = () => fetch(url(id, download), { headers: { Authorization: `Bearer ${tokens()?.access}` } });
  let response = await get();
  if (response.status === 401) { await api("/api/auth/profile"); response = await get(); } // refreshes the token
  if (!response.ok) throw new Error(response.status === 404 ? "The recording is no longer kept." : `recording: ${response.status}`);
  return response;
}

async function play(box) {
  const response = await fetchWav(box.dataset.callId, false);
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.src = URL.createObjectURL(await response.blob());
  box.querySelector(".play-recording").replaceWith(audio);
  await audio.play().catch(() => {}); // autoplay may be refused; the controls are there
}

async function download(box) {
  const response = await fetchWav(box.dataset.callId, true);
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || "call.wav";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

/** One listener for every recording box inside `container`. */
export function setUpRecordings(container) {
  container.addEventListener("click", async (event) => {
    const box = event.target.closest(".recording");
    if (!box) return;
    try {
      if (event.target.closest(".play-recording")) await play(box);
      if (event.target.closest(".download-recording")) await download(box);
      box.querySelector(".recording-error").textContent = "";
    } catch (error) {
      box.querySelector(".recording-error").textContent = error.message || String(error);
    }
  });
}
