// The run page's live timeline. Events arrive as JSON over /ws/runs/<id>/ with a
// per-run sequence number; on reconnect we ask for everything after the last
// seq we rendered, so a dropped connection or a reload loses nothing. All text
// goes through textContent: tool output is never interpreted as HTML.
(function () {
  "use strict";
  const root = document.getElementById("run");
  if (!root) return;
  const runId = root.dataset.runId;
  const eventsUrl = root.dataset.eventsUrl;
  const timeline = document.getElementById("timeline");
  const statusEl = document.getElementById("run-status");
  const connectionEl = document.getElementById("run-connection");
  const FOLD_CHARS = 600;
  // Ask for anything missed every so often: a Redis that restarted under an open
  // socket forgot its subscription, and the resync also joins again.
  const RESYNC_MS = 15000;
  let lastSeq = 0;
  let attempts = 0;
  let finished = false;
  let socket = null;
  let streamEl = null;
  let turn = 0;
  let resyncTimer = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pretty(value) {
    try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
  }

  function block(value, label) {
    const text = typeof value === "string" ? value : pretty(value);
    const pre = el("pre", "json", text);
    if (text.length <= FOLD_CHARS) return pre;
    const details = el("details", "fold");
    details.appendChild(el("summary", null, label + " (" + text.length.toLocaleString() + " characters)"));
    details.appendChild(pre);
    return details;
  }

  function item(kind, title, seq) {
    const li = el("li", "event event-" + kind);
    li.dataset.seq = seq;
    const head = el("div", "event-head");
    head.appendChild(el("span", "event-title", title));
    li.appendChild(head);
    timeline.appendChild(li);
    return li;
  }

  function setStatus(status) {
    statusEl.className = "status status-" + status;
    statusEl.textContent = status.replace(/_/g, " ");
  }

  function setConnection(text, state) {
    connectionEl.textContent = text;
    connectionEl.dataset.state = state;
  }

  function toolItem(data) {
    const key = data.tool_call_id || ("call-" + data.call_id);
    return timeline.querySelector('[data-call="' + CSS.escape(key) + '"]');
  }

  const renderers = {
    "run.queued": function (ev) {
      item("queued", "Queued", ev.seq);
      setStatus("queued");
    },
    "run.started": function (ev) {
      const li = item("started", "Run started", ev.seq);
      li.appendChild(el("p", "muted", ev.data.provider === "offline" ? "Using the offline planner" : "Model: " + ev.data.model));
      setStatus("running");
    },
    "run.resumed": function (ev) {
      item("started", "Run resumed", ev.seq);
      setStatus("running");
    },
    "run.requeued": function (ev) {
      const li = item("queued", "Queued again", ev.seq);
      li.appendChild(el("p", "muted", "No worker had this run for " + ev.data.quiet_seconds + " s, so it was queued again; it resumes where it stopped."));
    },
    "llm.delta": function (ev) {
      if (!streamEl) {
        const li = item("stream", "Model is writing…", ev.seq);
        streamEl = el("p", "answer streaming");
        li.appendChild(streamEl);
      }
      streamEl.textContent += ev.data.text;
    },
    "llm.completed": function (ev) {
      if (streamEl) { streamEl.closest("li").remove(); streamEl = null; }
      turn += 1;
      const calls = ev.data.tool_calls || [];
      const title = "Model turn " + turn + (calls.length ? " → " + calls.map(function (c) { return c.function.name; }).join(", ") : " → answer");
      const li = item("llm", title, ev.seq);
      const meta = [];
      if (ev.data.duration_ms !== undefined) meta.push(Math.round(ev.data.duration_ms) + " ms");
      const usage = ev.data.usage || {};
      if (usage.prompt_tokens || usage.completion_tokens) meta.push((usage.prompt_tokens || 0) + " in / " + (usage.completion_tokens || 0) + " out tokens");
      if (meta.length) li.querySelector(".event-head").appendChild(el("span", "event-meta", meta.join(" · ")));
      if (ev.data.content && calls.length) li.appendChild(el("p", "thought", ev.data.content));
    },
    "tool.started": function (ev) {
      const li = item("tool", "Tool call: " + ev.data.name, ev.seq);
      li.dataset.call = ev.data.tool_call_id || ("call-" + ev.data.call_id);
      li.querySelector(".event-head").appendChild(el("span", "status status-running tool-status", "running"));
      li.appendChild(el("div", "label", "Arguments"));
      li.appendChild(block(ev.data.arguments, "Arguments"));
    },
    "tool.finished": function (ev) {
      let li = toolItem(ev.data);
      if (!li) {
        li = item("tool", "Tool call: " + ev.data.name, ev.seq);
        li.appendChild(el("div", "label", "Arguments"));
        li.appendChild(block(ev.data.arguments, "Arguments"));
      }
      const badge = li.querySelector(".tool-status") || el("span", "tool-status");
      badge.className = "status tool-status status-" + (ev.data.ok ? "succeeded" : "failed");
      badge.textContent = ev.data.status.replace(/_/g, " ");
      const head = li.querySelector(".event-head");
      if (!badge.parentNode) head.appendChild(badge);
      head.appendChild(el("span", "event-meta duration", (ev.data.duration_ms || 0).toFixed(1) + " ms"));
      li.appendChild(el("div", "label", ev.data.ok ? "Result" : "Error"));
      li.appendChild(block(ev.data.result, "Result"));
      li.classList.add(ev.data.ok ? "ok" : "failed");
    },
    "run.waiting": function (ev) {
      item("waiting", "Paused: waiting for a human to approve", ev.seq);
      setStatus("waiting_approval");
    },
    "approval.requested": function (ev) {
      const li = item("approval", "Approval requested for " + ev.data.tool, ev.seq);
      if (ev.data.reason) li.appendChild(el("p", "muted", ev.data.reason));
      li.appendChild(el("div", "label", "Arguments awaiting approval"));
      li.appendChild(block(ev.data.arguments, "Arguments"));
      const link = el("a", "button", "Open the approvals inbox");
      link.href = "/approvals/#approval-" + ev.data.approval_id;
      li.appendChild(link);
    },
    "approval.decided": function (ev) {
      const verb = ev.data.status === "approved" ? "Approved" : ev.data.status === "rejected" ? "Rejected" : "Expired";
      const li = item("approval", verb + ": " + ev.data.tool + (ev.data.decided_by ? " by " + ev.data.decided_by : ""), ev.seq);
      if (ev.data.note) li.appendChild(el("p", null, ev.data.note));
      li.classList.add(ev.data.status === "approved" ? "ok" : "failed");
    },
    "run.finished": function (ev) {
      finished = true;
      setStatus(ev.data.status);
      const li = item("finished", "Run " + ev.data.status.replace(/_/g, " "), ev.seq);
      if (ev.data.error) li.appendChild(el("p", "error", ev.data.error));
      const final = document.getElementById("final");
      const answer = document.getElementById("final-answer");
      if (ev.data.final_answer) {
        answer.textContent = ev.data.final_answer;
        final.hidden = false;
      }
      const usage = ev.data.usage || {};
      const turns = ev.data.iterations + (ev.data.iterations === 1 ? " model turn" : " model turns");
      document.getElementById("final-usage").textContent = usage.total_tokens
        ? turns + " · " + usage.total_tokens.toLocaleString() + " tokens"
        : turns + " · no tokens used";
      setConnection("finished", "done");
    }
  };

  function resync() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "resync", after: lastSeq }));
    }
  }

  function handle(ev) {
    if (!ev || typeof ev.seq !== "number" || ev.seq <= lastSeq) return;
    if (ev.seq > lastSeq + 1) { resync(); return; } // a gap: ask for the missing ones in order
    lastSeq = ev.seq;
    const render = renderers[ev.type];
    if (render) render(ev);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/runs/" + runId + "/?after=" + lastSeq);
    socket.onopen = function () {
      attempts = 0;
      if (!finished) setConnection("live", "live");
      window.clearInterval(resyncTimer);
      resyncTimer = window.setInterval(function () { if (!finished) resync(); }, RESYNC_MS);
    };
    socket.onmessage = function (message) {
      try { handle(JSON.parse(message.data)); } catch (e) { /* ignore a malformed frame */ }
    };
    socket.onclose = function (close) {
      window.clearInterval(resyncTimer);
      if (close.code === 4401 || close.code === 4403) {
        setConnection("not allowed", "error");
        return;
      }
      if (finished) return;
      attempts += 1;
      setConnection("reconnecting…", "retry");
      if (attempts > 3) poll();
      window.setTimeout(connect, Math.min(8000, 400 * Math.pow(2, attempts)));
    };
  }

  // Fallback when websockets are blocked: the same events over plain HTTP.
  function poll() {
    fetch(eventsUrl + "?after=" + lastSeq, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { events: [] }; })
      .then(function (body) { body.events.forEach(handle); })
      .catch(function () { /* next reconnect attempt retries */ });
  }

  connect();
})();
