// fleetpos head office console: the small amount of script the pages share (no framework, no CDN).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : null;

  // fetch() for the console's own JSON calls: same-origin cookie plus the CSRF header.
  window.consoleFetch = function (url, options) {
    options = Object.assign({credentials: "same-origin"}, options || {});
    options.headers = Object.assign({"Accept": "application/json"}, options.headers || {});
    if (csrf) { options.headers["X-CSRF-Token"] = csrf; }
    if (options.json !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    return fetch(url, options);
  };

  // forms marked data-confirm ask first (revoke a device, deactivate a user, ...)
  document.addEventListener("submit", function (event) {
    var text = event.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });

  // pages that show live state (device list) reload themselves every data-refresh seconds
  var refresh = document.body.querySelector("[data-refresh]");
  if (refresh) {
    var seconds = parseInt(refresh.getAttribute("data-refresh"), 10);
    if (seconds > 0) {
      window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  }
})();
