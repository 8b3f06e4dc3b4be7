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
export function claimScans(socket, active) {
  const tell = () => socket.emit("scan.target", { active: Boolean(active()) });
  socket.on("connect", tell);
  if (socket.connected) tell();
  return tell;
}
