// The approvals inbox refreshes its pending list whenever the server announces
// a request or a decision (websocket /ws/approvals/); htmx does the fetching.
(function () {
  "use strict";
  let attempts = 0;
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws/approvals/");
    socket.onopen = function () { attempts = 0; };
    socket.onmessage = function () {
      document.body.dispatchEvent(new CustomEvent("approvals-changed"));
    };
    socket.onclose = function (close) {
      if (close.code === 4401 || close.code === 4403) return;
      attempts += 1;
      window.setTimeout(connect, Math.min(8000, 400 * Math.pow(2, attempts)));
    };
  }
  connect();
})();
