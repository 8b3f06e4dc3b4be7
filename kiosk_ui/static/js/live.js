// The page's Socket.IO connection to the till (vendored client, window.io). Shows
// "reconnecting" in the element #sb-live while the connection is down.
export function connectLive(role, handlers = {}) {
  const socket = window.io({ transports: ["websocket", "polling"], auth: { role } });
  const indicator = document.getElementById("sb-live");
  let connectedOnce = false;
  socket.on("connect", () => {
    if (indicator) indicator.hidden = true;
    if (connectedOnce && handlers.reconnect) handlers.reconnect();
    connectedOnce = true;
  });
  socket.on("disconnect", () => {
    if (indicator) indicator.hidden = false;
  });
  for (const [event, handler] of Object.entries(handlers)) {
    if (event !== "reconnect") socket.on(event, handler);
  }
  return socket;
}

// A screen that takes the hardware scanner's reads itself (returns, stock) says so with
// active() = true; the sale screen says false, so that scans go into the sale again. The
// till is told after every (re)connect; call the returned function when active() changes.
// With `marker` (an element), its data-scans says what the till last confirmed: "claimed"
// once the scanner's reads come to this page, "released" otherwise (and while the
// connection is down, when the till has forgotten the claim). Reads before "claimed" go
// elsewhere, which is what a test (or a person at a loaded till) waits for.
export function claimScans(socket, active, marker = null) {
  let asked = 0;
  const confirmed = (state) => {
    if (marker) marker.dataset.scans = state;
  };
  const tell = () => {
    const wanted = Boolean(active());
    const ask = ++asked;
    // the till's answer to the latest word only: an older one may arrive after it
    socket.emit("scan.target", { active: wanted }, () => {
      if (ask === asked) confirmed(wanted ? "claimed" : "released");
    });
  };
  socket.on("connect", tell);
  socket.on("disconnect", () => confirmed("released"));
  if (socket.connected) tell();
  return tell;
}
