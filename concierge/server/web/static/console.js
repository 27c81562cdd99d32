/* The agent console: the live queue, one conversation with the bot's draft and sources, reply, notes, resolve,
   and the supervisors' review of corrections. Everything through /handoffs and /corrections with the agent's key.
   Live: GET /handoffs/stream (Server-Sent Events, read with fetch since EventSource cannot send the key) says what
   changed; the queue and the open conversation are read again when it concerns them, once on every (re)connect,
   and every minute whatever happens. */
(function () {
  "use strict";
  var C = window.Concierge, el = C.el;
  var REASONS = {
    asked_for_human: "Asked for a person",
    cannot_do: "Something the bot may not do",
    not_helpful: "Bot answer not helpful",
    unanswered: "No answer found",
    follow_up: "Wrote again",
  };
  var CLOSED = ["answered", "ignored", "resolved"];
  var sending = false;
  var queue = [], loadedAt = 0, current = null, detail = null, timer = null;
  var FALLBACK_MS = 60000, RETRY_MS = [1000, 2000, 5000, 15000];
  var stream = null, pending = null, reopen = false;

  function $(id) { return document.getElementById(id); }
  function fail(e) { C.showError(e.message); }

  function refreshQueue() {
    if (!C.key()) return;
    C.api("GET", "/handoffs?status=open").then(function (items) {
      queue = items;
      loadedAt = Date.now();
      drawQueue();
    }, fail);
  }
  function waited(h) {
    return h.waiting_s === null ? null : h.waiting_s + (Date.now() - loadedAt) / 1000;
  }
  function drawQueue() {
    var list = $("queue");
    list.textContent = "";
    $("queue-status").textContent = queue.length ? queue.length + " open" : "Nobody is waiting.";
    queue.forEach(function (h) {
      var li = el("li", { class: h.handoff_id === current ? "current" : null, "data-handoff": h.handoff_id }, [
        el("div", {}, [
          el("span", { class: "badge " + (h.priority === "high" ? "high" : ""), text: REASONS[h.reason] || h.reason }),
          " ",
          el("span", { class: "meta", text: h.status + (h.assignee ? " by " + h.assignee : "") }),
        ]),
        el("p", { class: "q", text: h.question || "(no question)" }),
        el("div", { class: "meta" }, ["Waiting ", el("span", { class: "waited", text: C.fmtDuration(waited(h)) })]),
        el("div", { class: "row" }, [
          el("button", { type: "button", text: "Open", "aria-label": "Open: " + (h.question || h.handoff_id), onclick: function () { openHandoff(h.handoff_id); } }),
          h.assignee ? null : el("button", { type: "button", class: "primary", text: "Claim", "aria-label": "Claim: " + (h.question || h.handoff_id), onclick: function () { claim(h.handoff_id); } }),
        ]),
      ]);
      li._h = h;
      list.appendChild(li);
    });
  }
  function tick() {
    document.querySelectorAll("#queue li").forEach(function (li) {
      li.querySelector(".waited").textContent = C.fmtDuration(waited(li._h));
    });
  }

  function claim(id) {
    C.api("POST", "/handoffs/" + id + "/claim").then(function () {
      C.showError("");
      refreshQueue();
      openHandoff(id);
    }, fail);
  }
  function openHandoff(id) {
    current = id;
    return C.api("GET", "/handoffs/" + id).then(function (d) {
      detail = d;
      drawDetail();
      drawQueue();
    }, fail);
  }
  function drawDetail() {
    var d = detail;
    $("detail").hidden = false;
    $("detail-empty").hidden = true;
    $("detail-meta").textContent = (REASONS[d.reason] || d.reason) + " · " + d.status + (d.assignee ? " · " + d.assignee : " · unclaimed");
    var me = C.agent();
    var closed = CLOSED.indexOf(d.status) >= 0;
    $("claim").hidden = !!d.assignee || closed;
    $("release").hidden = !d.assignee || closed;
    $("resolve").hidden = closed;
    var box = $("messages");
    var key = d.handoff_id + ":" + (d.messages || []).length;
    if (box.getAttribute("data-shown") === key) return drawSide(d, me);
    box.setAttribute("data-shown", key);
    box.textContent = "";
    (d.messages || []).forEach(function (m) {
      var person = m.name === "human_agent";
      var kind = m.type === "human" ? "human" : person ? "ai person" : "ai";
      var who = m.type === "human" ? "Customer" : person ? "Agent " + (((m.additional_kwargs || {}).human_agent || {}).id || "") : "Bot";
      box.appendChild(el("div", { class: "m " + kind }, [el("span", { class: "who", text: who }), typeof m.content === "string" ? m.content : JSON.stringify(m.content)]));
    });
    box.scrollTop = box.scrollHeight;
    drawSide(d, me);
  }
  function drawSide(d, me) {
    $("draft").textContent = d.draft || "(the bot made no draft)";
    $("use-draft").disabled = !d.draft;
    var src = $("sources");
    src.textContent = "";
    (d.sources || []).forEach(function (c) {
      src.appendChild(el("li", { value: String(c.n), text: c.title + (c.locator ? ", " + c.locator : "") + " (" + c.source + ")" }));
    });
    if (!(d.sources || []).length) src.appendChild(el("li", { text: "none" }));
    var facts = Object.keys(d.customer || {}).map(function (k) { return k + ": " + d.customer[k]; });
    $("customer").textContent = facts.length ? facts.join(" · ") : "Nothing known about the customer.";
    var notes = $("notes");
    notes.textContent = "";
    (d.notes || []).forEach(function (n) {
      notes.appendChild(el("li", {}, [el("strong", { text: (n.agent || n.author || "agent") + ": " }), n.text]));
    });
    var closed = CLOSED.indexOf(d.status) >= 0;
    $("send-reply").disabled = sending || closed || !!(d.assignee && me && d.assignee !== me);
  }

  function reply(e) {
    e.preventDefault();
    var f = e.target;
    var body = { text: f.elements.text.value, keep: f.elements.keep.checked };
    if (f.elements.category.value) body.category = f.elements.category.value;
    if (f.elements.reason.value.trim()) body.reason = f.elements.reason.value.trim();
    $("send-reply").disabled = sending = true;
    C.api("POST", "/handoffs/" + current + "/reply", body).then(function () {
      sending = false;
      f.reset();
      C.showError("");
      $("queue-status").textContent = "Reply sent.";
      openHandoff(current);
      refreshQueue();
    }, function (err) {
      $("send-reply").disabled = sending = false;
      fail(err);
    });
  }
  function addNote(e) {
    e.preventDefault();
    var f = e.target;
    C.api("POST", "/handoffs/" + current + "/notes", { text: f.elements.text.value }).then(function () {
      f.reset();
      openHandoff(current);
    }, fail);
  }
  function act(what) {
    return function () {
      C.api("POST", "/handoffs/" + current + "/" + what, what === "release" ? {} : undefined).then(function () {
        C.showError("");
        refreshQueue();
        openHandoff(current);
      }, fail);
    };
  }

  function refreshReview(done) {
    C.api("GET", "/corrections?status=pending").then(function (items) {
      var list = $("review");
      list.textContent = "";
      $("review-status").textContent = (typeof done === "string" ? done : "") + (items.length ? items.length + " waiting for review" : "No correction waiting for review.");
      items.forEach(function (c) {
        var id = "q-" + c.correction_id;
        var quality = el("select", { id: id }, [5, 4, 3, 2, 1].map(function (n) { return el("option", { value: String(n), text: String(n) }); }));
        function review(approved) {
          return function () {
            C.api("POST", "/corrections/" + c.correction_id + "/review", { approved: approved, quality: Number(quality.value) }).then(function (r) {
              refreshReview((approved ? "Approved" : "Rejected") + (r.eval_set_version ? " (evaluation set " + r.eval_set_version + ")" : "") + ". ");
            }, fail);
          };
        }
        list.appendChild(el("li", { "data-correction": c.correction_id }, [
          el("p", {}, [el("strong", { text: "Question: " }), c.question || ""]),
          el("div", { class: "pair" }, [
            el("div", {}, [el("strong", { text: "Bot's draft\n" }), c.draft || ""]),
            el("div", {}, [el("strong", { text: "Agent's reply (" + (c.agent || "") + ")\n" }), c.reply || ""]),
          ]),
          el("p", { class: "muted", text: "Category: " + (c.category || "–") + (c.reason ? " · " + c.reason : "") }),
          el("div", { class: "row" }, [
            el("label", { for: id, text: "Quality (1-5)" }),
            quality,
            el("button", { type: "button", class: "primary", text: "Approve", onclick: review(true) }),
            el("button", { type: "button", class: "danger", text: "Reject", onclick: review(false) }),
          ]),
        ]));
      });
    }, function (e) {
      $("review-status").textContent = e.status === 403 ? "Your key cannot review corrections." : e.message;
    });
  }

  /* The queue's changes as they happen. A change reads the queue again (and the open conversation, if it is the
     one that changed), a burst of them once; `ready`, on every (re)connect, is the catch-up read. */
  function follow(attempt) {
    if (stream) stream.abort();
    if (!C.key() || !window.ReadableStream || !window.AbortController) {
      setLive("");
      return catchUp(true);
    }
    var ctrl = stream = new AbortController(), used = C.key();
    var headers = { "X-Api-Key": used, Accept: "text/event-stream" };
    if (C.agent()) headers["X-Agent-Id"] = C.agent();
    fetch("/handoffs/stream", { headers: headers, signal: ctrl.signal, cache: "no-store" }).then(function (r) {
      if (!r.ok || !r.body) {
        var err = new Error("the live queue answered " + r.status);
        err.status = r.status;
        throw err;
      }
      var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (C.key() !== used) { // signed out, or in with another key: this stream is not theirs
            if (stream === ctrl) stream = null;
            ctrl.abort();
            return setLive("");
          }
          if (chunk.done) throw new Error("the live queue ended");
          buffer += decoder.decode(chunk.value, { stream: true });
          var blocks = buffer.split(/\r?\n\r?\n/);
          buffer = blocks.pop();
          blocks.forEach(function (b) { if (heard(b)) attempt = 0; });
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (ctrl.signal.aborted || stream !== ctrl) return;
      stream = null;
      if (!attempt) catchUp(true); // what the console shows meanwhile; then the minute's read until reconnected
      if (e.status === 401 || e.status === 403) return setLive(""); // this key may not follow it
      setLive("Reconnecting…");
      setTimeout(function () { if (!stream) follow(attempt + 1); }, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    });
  }
  function heard(block) {
    var event = "message", data = [];
    block.split(/\r?\n/).forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (!data.length) return false; // a heartbeat
    var change = JSON.parse(data.join("\n"));
    if (event === "ready") {
      setLive("Live");
      catchUp(true);
    } else {
      catchUp(change.handoff_id === current);
    }
    return true;
  }
  function catchUp(withDetail) {
    reopen = reopen || withDetail;
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      refreshQueue();
      if (reopen && current) openHandoff(current); // the customer's new messages, notes by others, who holds it
      reopen = false;
    }, 100);
  }
  function setLive(text) {
    var live = $("queue-live");
    if (live) {
      live.textContent = text;
      live.hidden = !text;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("reply-form").addEventListener("submit", reply);
    $("note-form").addEventListener("submit", addNote);
    $("use-draft").addEventListener("click", function () {
      $("reply").value = (detail && detail.draft) || "";
      $("reply").focus();
    });
    $("claim").addEventListener("click", function () { claim(current); });
    $("release").addEventListener("click", act("release"));
    $("resolve").addEventListener("click", act("resolve"));
    C.onSignIn(function () {
      refreshReview();
      follow(0); // its `ready` reads the queue
      if (!timer) {
        timer = setInterval(function () { if (C.key()) catchUp(true); }, FALLBACK_MS); // whatever the stream says
        setInterval(tick, 1000);
        setInterval(function () { if (C.key() && !document.querySelector("#review select:focus")) refreshReview(); }, 10000);
      }
    });
  });
})();
