// The support queue, live: new tickets arrive over ws/support/queue/ and are
// added to the top of the table. All text goes through textContent.
(function () {
  "use strict";
  const rows = document.getElementById("ticket-rows");
  if (!rows) return;
  const table = document.getElementById("ticket-table");
  const empty = document.getElementById("ticket-empty");
  const connection = document.getElementById("queue-connection");
  const liveNote = document.getElementById("live-note");
  let attempts = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function cell(child) {
    const td = el("td");
    if (typeof child === "string") td.textContent = child; else td.appendChild(child);
    return td;
  }

  function formatDue(iso) {
    const date = new Date(iso);
    if (isNaN(date)) return iso;
    return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function addTicket(ticket) {
    if (rows.querySelector('[data-code="' + CSS.escape(ticket.code) + '"]')) return;
    const tr = el("tr", "cs-new");
    tr.dataset.code = ticket.code;
    const link = el("a", null, ticket.code);
    link.href = ticket.url;
    tr.appendChild(cell(link));
    const subject = cell(ticket.subject);
    subject.className = "truncate";
    tr.appendChild(subject);
    tr.appendChild(cell(el("span", "status cs-priority-" + ticket.priority, ticket.priority)));
    tr.appendChild(cell(el("span", "status cs-status-" + ticket.status, ticket.status)));
    tr.appendChild(cell(ticket.queue));
    tr.appendChild(cell(ticket.assignee ? ticket.assignee : el("span", "muted", "unassigned")));
    const due = el("time", null, formatDue(ticket.sla_due_at));
    due.setAttribute("datetime", ticket.sla_due_at);
    tr.appendChild(cell(due));
    rows.insertBefore(tr, rows.firstChild);
    if (table) table.hidden = false;
    if (empty) empty.hidden = true;
  }

  function setConnection(text, state) {
    if (!connection) return;
    connection.textContent = text;
    connection.dataset.state = state;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws/support/queue/");
    socket.addEventListener("open", function () {
      attempts = 0;
      setConnection("Live", "live");
      if (liveNote) liveNote.hidden = false;
    });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && message.type === "ticket.created" && message.ticket) addTicket(message.ticket);
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4401) { setConnection("Not signed in", "retry"); return; }
      attempts += 1;
      setConnection("Reconnecting…", "retry");
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempts)));
    });
  }

  connect();
})();
