/*! Concierge chat widget: one script tag and a tenant's publishable key.
 *
 *   <script src="https://concierge.example/widget.js" data-key="ck_pub_..." defer></script>
 *
 * Optional attributes: data-title (the panel's heading), data-server (the Concierge address; default: where this
 * script came from), data-open="true" (start open), data-locale (sent as the run's customer locale).
 * Plain JavaScript, no dependencies, no CDN. Speaks the Agent Server API: POST /threads (its thread token is kept
 * in localStorage, so a reload shows the conversation again), POST /threads/{id}/runs/stream (tokens from the
 * `messages-tuple` mode; a `generation_discarded` custom event withdraws a message's tokens), resumes the feedback
 * and offer-of-a-person pauses, and follows GET /threads/{id}/stream while a person is to answer.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__conciergeWidget) return;
  var KEY = script.getAttribute("data-key") || "";
  var SERVER = (script.getAttribute("data-server") || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var TITLE = script.getAttribute("data-title") || "Chat with us";
  var LOCALE = script.getAttribute("data-locale") || "";
  var STORE = "concierge-thread:" + KEY.slice(0, 24);
  var HUMAN = "human_agent";
  var MODES = ["messages-tuple", "updates", "custom"];
  var REASONS = { feedback: 1, offer_human: 1 };

  var CSS =
    ":host{all:initial;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1f}" +
    "*{box-sizing:border-box}" +
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#1d4ed8;color:#fff;border:0;" +
    "border-radius:999px;padding:12px 18px;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px #0004}" +
    "button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:min(380px,calc(100vw - 40px));" +
    "height:min(600px,calc(100vh - 40px));display:flex;flex-direction:column;background:#fff;border:1px solid #c7c7d1;" +
    "border-radius:12px;box-shadow:0 8px 30px #0005;overflow:hidden}" +
    ".panel[hidden],.launch[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;background:#1d4ed8;color:#fff;padding:10px 14px}" +
    "h2{font-size:16px;margin:0}" +
    ".x{background:transparent;color:#fff;border:1px solid #fff8;border-radius:6px;font:inherit;padding:2px 8px;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f6f7fb}" +
    ".msg{max-width:88%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
    ".me{align-self:flex-end;background:#1d4ed8;color:#fff}" +
    ".bot{align-self:flex-start;background:#fff;border:1px solid #d5d7e0}" +
    ".person{align-self:flex-start;background:#ecfdf5;border:1px solid #047857}" +
    ".who{display:block;font-size:12px;font-weight:700;color:#374151;margin-bottom:2px}" +
    ".person .who{color:#065f46}" +
    ".note{align-self:center;font-size:13px;color:#374151;text-align:center}" +
    ".err{align-self:center;font-size:13px;color:#991b1b}" +
    "sup a{color:#1e40af;font-weight:700;text-decoration:none}" +
    "ol.src{margin:6px 0 0;padding-left:20px;font-size:12.5px;color:#374151;border-top:1px solid #e5e7eb;padding-top:4px}" +
    ".fb{align-self:flex-start;border:1px solid #d5d7e0;border-radius:10px;background:#fff;padding:8px 10px;margin:0;font-size:13px;max-width:88%}" +
    ".fb legend{font-weight:600;padding:0 4px}" +
    ".row{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin-top:6px}" +
    ".b{font:inherit;font-size:13px;padding:5px 10px;border-radius:6px;border:1px solid #1d4ed8;background:#fff;color:#1d4ed8;cursor:pointer}" +
    ".b.p{background:#1d4ed8;color:#fff}" +
    ".b:disabled{opacity:.6;cursor:default}" +
    "label{font-size:12.5px;color:#374151}" +
    ".fb input{font:inherit;font-size:13px;width:100%;padding:4px 6px;border:1px solid #6b7280;border-radius:5px}" +
    "form.send{display:flex;gap:6px;padding:10px;border-top:1px solid #d5d7e0;background:#fff}" +
    "form.send textarea{flex:1;resize:none;font:inherit;padding:7px 9px;border:1px solid #6b7280;border-radius:8px;height:42px}" +
    ".foot{display:flex;justify-content:space-between;align-items:center;padding:0 10px 8px;background:#fff;font-size:12px;color:#4b5563}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  // ---- state ----
  var thread = load();
  var busy = false;
  var pending = null; // the thread's current pause: {type, ...} or null
  var joined = null; // AbortController of the join stream
  var bubbles = {}; // message id -> element
  var lastAnswer = null; // the element of the latest bot answer (citations attach to it)
  var seq = 0;

  function load() {
    try {
      var t = JSON.parse(localStorage.getItem(STORE) || "null");
      return t && t.thread_id && t.token ? t : null;
    } catch (e) {
      return null;
    }
  }
  function save(t) {
    thread = t;
    try {
      if (t) localStorage.setItem(STORE, JSON.stringify(t));
      else localStorage.removeItem(STORE);
    } catch (e) {}
  }

  // ---- DOM ----
  var host = document.createElement("div");
  host.setAttribute("data-concierge-widget", "");
  var root = host.attachShadow({ mode: "open" });
  try {
    // A constructed sheet: the host page's Content-Security-Policy may forbid inline <style>, not this.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
  }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) {
      if (c) e.appendChild(c);
    });
    return e;
  }

  var launch = el("button", { class: "launch", type: "button", "aria-haspopup": "dialog", text: TITLE, onclick: open });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var status = el("p", { class: "sr", role: "status" });
  var input = el("textarea", { id: "cw-input", rows: "1", maxlength: "4000", placeholder: "Type your question…" });
  var sendBtn = el("button", { class: "b p", type: "submit", text: "Send" });
  var form = el("form", { class: "send", onsubmit: onSend }, [
    el("label", { for: "cw-input", class: "sr", text: "Your message" }),
    input,
    sendBtn,
  ]);
  var personBtn = el("button", { class: "b", type: "button", text: "Talk to a person", onclick: askPerson });
  var newBtn = el("button", { class: "b", type: "button", text: "New conversation", onclick: restart });
  var closeBtn = el("button", { class: "x", type: "button", "aria-label": "Close chat", text: "✕", onclick: close });
  var panel = el("section", { class: "panel", role: "dialog", "aria-label": TITLE, hidden: "" }, [
    el("header", {}, [el("h2", { text: TITLE }), closeBtn]),
    log,
    status,
    form,
    el("div", { class: "foot" }, [personBtn, newBtn]),
  ]);
  root.appendChild(launch);
  root.appendChild(panel);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") close();
  });

  function open() {
    panel.hidden = false;
    launch.hidden = true;
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launch.hidden = false;
    launch.focus();
  }
  function scroll() {
    log.scrollTop = log.scrollHeight;
  }
  function say(text, cls) {
    var p = el("p", { class: cls || "note", text: text });
    log.appendChild(p);
    scroll();
    return p;
  }
  function setBusy(b) {
    busy = b;
    sendBtn.disabled = b;
    personBtn.disabled = b || (pending && pending.type === "handoff");
    log.setAttribute("aria-busy", b ? "true" : "false");
  }

  // A message with its [n] markers as links to its footnotes.
  function fill(body, text, id) {
    body.textContent = "";
    var parts = String(text || "").split(/\[(\d{1,2})\]/);
    for (var i = 0; i < parts.length; i++) {
      if (i % 2 === 0) {
        if (parts[i]) body.appendChild(document.createTextNode(parts[i]));
      } else {
        var a = el("a", { href: "#" + id + "-src-" + parts[i], text: "[" + parts[i] + "]" });
        a.setAttribute("aria-label", "source " + parts[i]);
        body.appendChild(el("sup", {}, [a]));
      }
    }
  }
  function bubble(kind, id, who) {
    var m = el("div", { class: "msg " + kind, "data-message-id": id || "" });
    if (who) m.appendChild(el("span", { class: "who", text: who }));
    var body = el("span", { class: "body" });
    m.appendChild(body);
    m._body = body;
    m._text = "";
    log.appendChild(m);
    if (id) bubbles[id] = m;
    return m;
  }
  function anchorId(m) {
    if (!m._anchor) m._anchor = "cw" + ++seq;
    return m._anchor;
  }
  function addText(m, text) {
    m._text += text;
    fill(m._body, m._text, anchorId(m));
    scroll();
  }
  function setText(m, text) {
    m._text = text;
    fill(m._body, text, anchorId(m));
  }
  function footnotes(m, citations) {
    if (!m || !citations || !citations.length) return;
    var old = m.querySelector("ol.src");
    if (old) old.remove();
    var ol = el("ol", { class: "src", "aria-label": "Sources" });
    citations.forEach(function (c) {
      var where = c.locator ? ", " + c.locator : "";
      var li = el("li", { id: anchorId(m) + "-src-" + c.n, value: String(c.n), text: c.title + where });
      li.setAttribute("data-source", c.source || "");
      ol.appendChild(li);
    });
    m.appendChild(ol);
    fill(m._body, m._text, anchorId(m));
  }
  function personName(msg) {
    var who = ((msg.additional_kwargs || {})[HUMAN] || {}).id;
    return who ? who + " · a person from our team" : "A person from our team";
  }
  function showMessage(msg) {
    if (msg.id && bubbles[msg.id]) return bubbles[msg.id];
    var text = typeof msg.content === "string" ? msg.content : contentText(msg.content);
    var m;
    if (msg.type === "human") m = bubble("me", msg.id, null);
    else if (msg.name === HUMAN) m = bubble("person", msg.id, personName(msg));
    else m = bubble("bot", msg.id, null);
    setText(m, text);
    scroll();
    return m;
  }
  function contentText(content) {
    return (content || [])
      .map(function (p) {
        return typeof p === "string" ? p : p.text || "";
      })
      .join("");
  }
  function isPrompt(msg) {
    return !!(msg.additional_kwargs || {}).concierge_prompt;
  }

  // ---- HTTP ----
  function headers(extra) {
    var h = { "Content-Type": "application/json", "X-Api-Key": KEY };
    if (thread) h["X-Thread-Token"] = thread.token;
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }
  function api(method, path, body) {
    return fetch(SERVER + path, { method: method, headers: headers(), body: body ? JSON.stringify(body) : undefined }).then(
      function (r) {
        if (!r.ok)
          return r.json().then(
            function (j) {
              throw new Error(r.status + ": " + (j.detail || r.statusText));
            },
            function () {
              throw new Error(String(r.status));
            }
          );
        return r.json();
      }
    );
  }
  // Server-Sent Events over fetch (EventSource cannot send the key and token headers).
  function sse(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buf = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buf += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
        var cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          var block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          var event = "message",
            data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) event = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) {
            var parsed;
            try {
              parsed = JSON.parse(data.join("\n"));
            } catch (e) {
              parsed = data.join("\n");
            }
            onEvent(event, parsed);
          }
        }
        return pump();
      });
    }
    return pump();
  }

  function ensureThread() {
    if (thread) return Promise.resolve(thread);
    return api("POST", "/threads", { metadata: { source: "widget" } }).then(function (t) {
      save({ thread_id: t.thread_id, token: t.metadata.thread_token });
      return thread;
    });
  }

  // One run: a new message (`input`) or a resume (`command`), streamed.
  function run(body) {
    setBusy(true);
    stopJoin();
    clearPause();
    body.stream_mode = MODES;
    if (LOCALE) body.context = { locale: LOCALE };
    status.textContent = "The assistant is answering…";
    return ensureThread()
      .then(function () {
        return fetch(SERVER + "/threads/" + encodeURIComponent(thread.thread_id) + "/runs/stream", {
          method: "POST",
          headers: headers({ Accept: "text/event-stream" }),
          body: JSON.stringify(body),
        });
      })
      .then(function (r) {
        if (r.status === 404 && thread) {
          save(null); // the thread is gone (deleted, or another server): start again
          throw new Error("this conversation has expired; please ask again");
        }
        if (!r.ok)
          return r.json().then(function (j) {
            throw new Error(r.status + ": " + (j.detail || ""));
          });
        return sse(r, onRunEvent);
      })
      .catch(function (e) {
        say("Sorry, something went wrong (" + e.message + ").", "err");
      })
      .then(function () {
        setBusy(false);
        status.textContent = "";
        if (pending && pending.type === "handoff") startJoin();
      });
  }

  function onRunEvent(event, data) {
    if (event === "messages") {
      var msg = data[0];
      if (!msg) return;
      if (msg.type === "AIMessageChunk") {
        var m = bubbles[msg.id] || bubble("bot", msg.id, null);
        if (msg.content) {
          addText(m, typeof msg.content === "string" ? msg.content : contentText(msg.content));
          m.setAttribute("data-chunks", String(Number(m.getAttribute("data-chunks") || 0) + 1));
        }
        lastAnswer = m;
      } else if (msg.type === "ai") {
        var shown = showMessage(msg);
        if (msg.name !== HUMAN && !isPrompt(msg)) lastAnswer = shown;
      }
    } else if (event === "custom" && data && data.event === "generation_discarded") {
      var gone = bubbles[data.message_id];
      if (gone) {
        gone.remove();
        delete bubbles[data.message_id];
      }
    } else if (event === "updates") {
      for (var node in data) onUpdate(node, data[node]);
    } else if (event === "error") {
      say("Sorry, something went wrong (" + ((data && data.message) || "error") + ").", "err");
    }
  }

  function onUpdate(node, update) {
    if (node === "__interrupt__") {
      (update || []).forEach(function (i) {
        pause(i.value);
      });
      return;
    }
    if (!update) return;
    (update.messages || []).forEach(function (msg) {
      if (msg.type !== "ai") return;
      var m = bubbles[msg.id];
      if (m) setText(m, typeof msg.content === "string" ? msg.content : contentText(msg.content));
      else m = showMessage(msg);
      if (msg.name !== HUMAN && !isPrompt(msg)) lastAnswer = m;
    });
    if (update.citations) footnotes(lastAnswer, update.citations);
  }

  // ---- pauses: feedback, offer of a person, waiting for a person ----
  function clearPause() {
    pending = null;
    var box = log.querySelector(".pause");
    if (box) box.remove();
  }
  function kindOf(value) {
    if (value && REASONS[value.type]) return value.type;
    if (value && value.action_request && value.action_request.action === "handoff") return "handoff";
    return null;
  }
  function pause(value) {
    var kind = kindOf(value);
    if (!kind) return;
    clearPause();
    pending = { type: kind, value: value };
    if (kind === "feedback") feedbackBox(value);
    else if (kind === "offer_human") offerBox();
    else {
      var n = say("A person from our team will answer here. You can keep this page open or come back later.");
      n.classList.add("pause");
      personBtn.disabled = true;
    }
    scroll();
  }
  function feedbackBox(value) {
    var id = "cw-c" + ++seq;
    var comment = el("input", { id: id, type: "text", maxlength: "2000", autocomplete: "off" });
    function rate(r) {
      return function () {
        var v = { rating: r };
        if (comment.value.trim()) v.comment = comment.value.trim();
        box.remove();
        say(r === "helpful" ? "Thanks for your feedback." : "Thanks, that helps us improve.");
        run({ command: { resume: v } });
      };
    }
    var box = el("fieldset", { class: "fb pause" }, [
      el("legend", { text: "Was this answer helpful?" }),
      el("div", { class: "row" }, [
        el("button", { class: "b", type: "button", text: "Helpful", onclick: rate("helpful") }),
        el("button", { class: "b", type: "button", text: "Not helpful", onclick: rate("not_helpful") }),
      ]),
      el("div", { class: "row" }, [el("label", { for: id, text: "Comment (optional)" }), comment]),
    ]);
    if (value && value.citations && lastAnswer && !lastAnswer.querySelector("ol.src")) footnotes(lastAnswer, value.citations);
    log.appendChild(box);
  }
  function offerBox() {
    function answer(yes) {
      return function () {
        box.remove();
        say(yes ? "Yes, a person please." : "No, thanks.", "msg me");
        run({ command: { resume: yes ? "yes" : "no" } });
      };
    }
    var box = el("fieldset", { class: "fb pause" }, [
      el("legend", { text: "Talk to a person?" }),
      el("div", { class: "row" }, [
        el("button", { class: "b p", type: "button", text: "Yes, a person please", onclick: answer(true) }),
        el("button", { class: "b", type: "button", text: "No, thanks", onclick: answer(false) }),
      ]),
    ]);
    log.appendChild(box);
  }

  // ---- the person's reply, live: the thread's join stream ----
  function startJoin(retried) {
    if (joined || !thread) return;
    var ctl = new AbortController();
    joined = ctl;
    var url = SERVER + "/threads/" + encodeURIComponent(thread.thread_id) + "/stream";
    fetch(url + "?stream_mode=run_modes&stream_mode=state_update", {
      headers: headers({ Accept: "text/event-stream" }),
      signal: ctl.signal,
    })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        if (retried) sync();
        return sse(r, function (event, data) {
          if (event === "messages" && data[0] && data[0].name === HUMAN) {
            fromPerson(data[0]);
          } else if (event === "state_update") {
            // A message the person wrote between runs, in a conversation they keep.
            (((data.state || {}).values || {}).messages || []).forEach(function (msg) {
              if (msg.name === HUMAN) fromPerson(msg);
            });
          } else if (event === "updates" && data && data.__interrupt__) {
            data.__interrupt__.forEach(function (i) {
              pause(i.value);
            });
          }
        });
      })
      .catch(function () {})
      .then(function () {
        if (joined === ctl) {
          joined = null;
          if (!ctl.signal.aborted && pending && pending.type === "handoff") setTimeout(startJoin, 3000, true);
        }
      });
  }
  function sync() {
    // What a person wrote while no stream was open (a page reload keeps its own copy via restore()).
    if (!thread) return;
    api("GET", "/threads/" + encodeURIComponent(thread.thread_id)).then(function (t) {
      ((t.values || {}).messages || []).forEach(function (msg) {
        if (msg.name === HUMAN && !bubbles[msg.id]) {
          clearPause();
          showMessage(msg).setAttribute("data-via", "sync");
        }
      });
    }, function () {});
  }
  function fromPerson(msg) {
    if (bubbles[msg.id]) return;
    clearPause();
    personBtn.disabled = false;
    showMessage(msg).setAttribute("data-via", "stream");
    status.textContent = "New message from a person on our team";
  }
  function stopJoin() {
    if (joined) {
      joined.abort();
      joined = null;
    }
  }

  // ---- actions ----
  function onSend(e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    showMessage({ type: "human", content: text });
    run({ input: { messages: [{ role: "user", content: text }] } });
  }
  function askPerson() {
    if (busy) return;
    if (pending && pending.type === "feedback") {
      clearPause();
      say("Passing you to a person…");
      run({ command: { resume: { handoff: true } } });
    } else if (pending && pending.type === "offer_human") {
      clearPause();
      run({ command: { resume: "yes" } });
    } else if (!pending) {
      var text = "I'd like to talk to a person, please.";
      showMessage({ type: "human", content: text });
      run({ input: { messages: [{ role: "user", content: text }] } });
    }
  }
  function restart() {
    stopJoin();
    save(null);
    pending = null;
    bubbles = {};
    lastAnswer = null;
    log.textContent = "";
    personBtn.disabled = false;
    greet();
    input.focus();
  }
  function greet() {
    say("Hello! Ask us anything about our products, services and opening times.");
  }

  // After a reload: the conversation so far, and whatever it is paused at.
  function restore() {
    if (!thread) return greet();
    setBusy(true);
    api("GET", "/threads/" + encodeURIComponent(thread.thread_id))
      .then(function (t) {
        var messages = (t.values || {}).messages || [];
        messages.forEach(function (msg) {
          var m = showMessage(msg);
          if (msg.type === "ai" && msg.name !== HUMAN && !isPrompt(msg)) lastAnswer = m;
        });
        footnotes(lastAnswer, (t.values || {}).citations);
        var interrupts = t.interrupts || {};
        for (var task in interrupts) (interrupts[task] || []).forEach(function (i) {
          pause(i.value);
        });
        if (!messages.length) greet();
      })
      .catch(function () {
        save(null);
        greet();
      })
      .then(function () {
        setBusy(false);
        if (pending && pending.type === "handoff") startJoin();
      });
  }

  function mount() {
    document.body.appendChild(host);
    if (!KEY) {
      say("This chat is not set up: its script tag needs a data-key (the publishable key).", "err");
      sendBtn.disabled = personBtn.disabled = true;
    } else restore();
    if (script.getAttribute("data-open") === "true") open();
  }
  window.__conciergeWidget = { open: open, close: close, restart: restart };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
