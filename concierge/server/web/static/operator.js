/* The operator pages: documents (upload, live progress), catalog import (row report), providers (health, cost,
   latency), feedback and handoff analytics, evaluation reports. Charts: Chart.js (vendored, MIT). */
(function () {
  "use strict";
  var C = window.Concierge, el = C.el;
  var PALETTE = ["#1d4ed8", "#b45309", "#047857", "#9d174d", "#6d28d9", "#0f766e", "#b91c1c", "#374151"];
  var charts = {};

  function $(id) { return document.getElementById(id); }
  function fail(e) { C.showError(e.message); }
  function put(id, node) {
    var box = $(id);
    box.textContent = "";
    box.appendChild(node);
  }
  function chart(id, config) {
    if (!window.Chart) return;
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new window.Chart($(id), config);
    $(id).setAttribute("data-rendered", "true");
  }
  function days() { return $("days") ? $("days").value : "7"; }
  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + "%"; }

  // ---- documents ----
  var docTimer = null;
  function loadDocuments() {
    return C.api("GET", "/documents?limit=100").then(function (page) {
      var busy = false;
      put("documents", C.table("Your documents, newest first (" + page.total + " in all)", [
        ["Title", function (d) { return d.title || d.filename; }],
        ["Type", function (d) { return d.media_type; }],
        ["Status", function (d) { return el("span", { class: "badge " + d.status, "data-status": d.status, text: d.status }); }],
        ["Progress", function (d) {
          if (d.status === "pending" || d.status === "processing") busy = true;
          var p = Math.round((d.progress || 0) * 100);
          return el("span", {}, [
            el("progress", { max: "100", value: String(p), "aria-label": "Processing " + (d.title || d.filename) }),
            " " + p + "%",
          ]);
        }],
        ["Pages", function (d) { return d.pages; }],
        ["Chunks", function (d) { return d.chunks; }],
        ["Problem", function (d) { return d.error || ""; }],
        ["", function (d) {
          return el("button", { type: "button", class: "danger", text: "Delete", "aria-label": "Delete " + (d.title || d.filename), onclick: function (e) {
            var b = e.target;
            if (b.getAttribute("data-armed") !== "yes") {
              b.setAttribute("data-armed", "yes");
              b.textContent = "Really delete?";
              return;
            }
            C.api("DELETE", "/documents/" + d.document_id).then(loadDocuments, fail);
          } });
        }],
      ], page.documents));
      // Live progress: look every half second while anything is being processed, else every ten.
      clearTimeout(docTimer);
      docTimer = setTimeout(loadDocuments, busy ? 500 : 10000);
    }, fail);
  }
  function upload(e) {
    e.preventDefault();
    var f = e.target;
    var data = new FormData();
    data.append("file", f.elements.file.files[0]);
    if (f.elements.title.value.trim()) data.append("title", f.elements.title.value.trim());
    $("upload-status").textContent = "Uploading…";
    C.api("POST", "/documents", data).then(function (d) {
      f.reset();
      C.showError("");
      $("upload-status").textContent = d.duplicate ? "Already there: " + (d.title || d.filename) + "." : "Uploaded " + (d.title || d.filename) + "; processing…";
      loadDocuments();
    }, function (err) {
      $("upload-status").textContent = "";
      fail(err);
    });
  }

  // ---- catalog ----
  function importCatalog(e) {
    e.preventDefault();
    var f = e.target;
    var data = new FormData();
    data.append("file", f.elements.file.files[0]);
    var kind = f.elements.kind.value;
    $("import-status").textContent = "Importing…";
    C.api("POST", "/catalog/import" + (kind ? "?kind=" + kind : ""), data).then(function (r) {
      C.showError("");
      $("import-status").textContent = "Imported: " + r.accepted + " accepted (" + r.created + " new, " + r.updated + " updated), " + r.rejected_count + " rejected, " + r.skipped_count + " skipped.";
      var rows = r.rejected.map(function (x) { return Object.assign({ outcome: "rejected" }, x); })
        .concat(r.skipped.map(function (x) { return Object.assign({ outcome: "skipped" }, x); }));
      var box = el("div", {}, [
        C.table("Summary", [["Figure", function (x) { return x[0]; }], ["Value", function (x) { return x[1]; }]], [
          ["Format", r.format || "plain rows"],
          ["Rows by kind", Object.keys(r.by_kind || {}).map(function (k) { return k + ": " + r.by_kind[k]; }).join(", ") || "–"],
          ["Accepted", r.accepted], ["Created", r.created], ["Updated", r.updated],
          ["Rejected", r.rejected_count], ["Skipped", r.skipped_count],
          ["Variants (accepted / created / updated / removed)", [r.variants.accepted, r.variants.created, r.variants.updated, r.variants.removed].join(" / ")],
        ]),
        rows.length
          ? C.table("Rows not imported, with the reason", [
              ["Row", function (x) { return x.row; }],
              ["Kind", function (x) { return x.kind; }],
              ["Key", function (x) { return x.key; }],
              ["Outcome", function (x) { return el("span", { class: "badge " + (x.outcome === "rejected" ? "failed" : "pending"), text: x.outcome }); }],
              ["Reason", function (x) { return x.reason; }],
            ], rows)
          : el("p", { class: "ok", text: "Every row was imported." }),
      ]);
      $("report-card").hidden = false;
      put("report", box);
    }, function (err) {
      $("import-status").textContent = "";
      fail(err);
    });
  }

  // ---- providers ----
  function loadProviders() {
    var d = days();
    C.api("GET", "/providers/health?days=" + d).then(function (h) {
      var names = Object.keys(h.models || {});
      put("health", el("div", {}, [
        el("p", { class: "muted", text: "Configured providers: " + ((h.configured || []).map(function (p) { return p.name || p.provider || p; }).join(", ") || "none besides the local answerer") + ". A model with over " + pct(h.policy.failure_rate) + " failures in " + C.fmtDuration(h.policy.window_s) + " (at least " + h.policy.min_calls + " calls) is skipped for " + C.fmtDuration(h.policy.cooldown_s) + "." }),
        names.length ? C.table("Health per model", [
          ["Model", function (n) { return n; }],
          ["State", function (n) { var s = h.models[n].state; return el("span", { class: "badge " + (s === "healthy" ? "completed" : s === "probing" ? "pending" : "failed"), text: s }); }],
          ["Calls", function (n) { return h.models[n].calls; }],
          ["Failures", function (n) { return h.models[n].failures; }],
          ["p95 ms", function (n) { return C.fmtNumber(h.models[n].p95_ms, 1); }],
          ["Cooldown left", function (n) { return h.models[n].cooldown_left_s ? C.fmtDuration(h.models[n].cooldown_left_s) : "–"; }],
        ], names) : el("p", { text: "No provider call yet." }),
      ]));
    }, fail);
    C.api("GET", "/usage/daily?days=" + d).then(function (u) {
      var models = [];
      u.days.forEach(function (day) { day.models.forEach(function (m) { if (models.indexOf(m.model) < 0) models.push(m.model); }); });
      chart("cost-chart", {
        type: "bar",
        data: {
          labels: u.days.map(function (x) { return x.day; }),
          datasets: models.map(function (name, i) {
            return { label: name, backgroundColor: PALETTE[i % PALETTE.length], data: u.days.map(function (x) {
              var m = x.models.find(function (y) { return y.model === name; });
              return m ? m.cost_usd : 0;
            }) };
          }),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      });
      put("cost-table", C.table("Cost and calls per day", [
        ["Day", function (x) { return x.day; }], ["Cost (USD)", function (x) { return C.fmtNumber(x.cost_usd, 4); }],
        ["Calls", function (x) { return x.calls; }], ["Failures", function (x) { return x.failures; }],
      ], u.days));
    }, fail);
    C.api("GET", "/usage/latency?days=" + d).then(function (l) {
      var names = Object.keys(l.models || {});
      chart("latency-chart", {
        type: "bar",
        data: {
          labels: names,
          datasets: [["p50_ms", "p50"], ["p95_ms", "p95"], ["p99_ms", "p99"]].map(function (k, i) {
            return { label: k[1], backgroundColor: PALETTE[i], data: names.map(function (n) { return l.models[n][k[0]]; }) };
          }),
        },
        options: { scales: { y: { beginAtZero: true } } },
      });
      put("latency-table", C.table("Latency per model (ms)", [
        ["Model", function (n) { return n; }],
        ["p50", function (n) { return C.fmtNumber(l.models[n].p50_ms, 1); }],
        ["p95", function (n) { return C.fmtNumber(l.models[n].p95_ms, 1); }],
        ["p99", function (n) { return C.fmtNumber(l.models[n].p99_ms, 1); }],
        ["First token p50", function (n) { return C.fmtNumber(l.models[n].ttft_p50_ms, 1); }],
      ], names));
    }, fail);
    C.api("GET", "/usage/alerts").then(function (a) {
      put("alerts", a.alerts.length ? C.table("Days the daily budget was spent", [
        ["Day", function (x) { return x.day; }], ["Spent (USD)", function (x) { return C.fmtNumber(x.spent_usd || x.cost_usd, 4); }],
        ["Budget (USD)", function (x) { return C.fmtNumber(x.budget_usd, 4); }],
      ], a.alerts) : el("p", { text: "The daily budget was never spent." }));
    }, fail);
  }

  // ---- analytics ----
  function loadAnalytics() {
    C.api("GET", "/analytics/daily?days=" + days()).then(function (a) {
      var labels = a.days.map(function (x) { return x.day; });
      function series(key, label, i, extra) {
        return Object.assign({ label: label, data: a.days.map(function (x) { return x[key]; }), borderColor: PALETTE[i], backgroundColor: PALETTE[i], spanGaps: true }, extra || {});
      }
      chart("feedback-chart", {
        type: "line",
        data: { labels: labels, datasets: [
          series("feedback_collection_rate", "rated / answers", 0),
          series("helpful_rate", "helpful / rated", 1),
          series("implicit_satisfaction", "implicit satisfaction", 2),
        ] },
        options: { scales: { y: { min: 0, max: 1 } } },
      });
      chart("handoff-chart", {
        type: "bar",
        data: { labels: labels, datasets: [series("answers", "answers", 0), series("handoffs", "handoffs", 1), series("asked_human", "asked for a person", 3)] },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
      var reasons = {};
      a.days.forEach(function (x) { Object.keys(x.handoff_reasons || {}).forEach(function (r) { reasons[r] = (reasons[r] || 0) + x.handoff_reasons[r]; }); });
      var names = Object.keys(reasons);
      chart("reasons-chart", {
        type: "bar",
        data: { labels: names, datasets: [{ label: "handoffs", data: names.map(function (r) { return reasons[r]; }), backgroundColor: PALETTE.slice(0, names.length) }] },
        options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
      });
      put("days-table", C.table("Feedback and handoffs per day (" + a.timezone + ")", [
        ["Day", function (x) { return x.day; }], ["Answers", function (x) { return x.answers; }],
        ["Rated", function (x) { return x.rated; }], ["Helpful", function (x) { return pct(x.helpful_rate); }],
        ["Implicit satisfaction", function (x) { return C.fmtNumber(x.implicit_satisfaction, 2); }],
        ["Handoffs", function (x) { return x.handoffs; }], ["Handoff rate", function (x) { return pct(x.handoff_rate); }],
        ["Median time to claim", function (x) { return C.fmtDuration(x.median_time_to_claim_s); }],
        ["Median time to first reply", function (x) { return C.fmtDuration(x.median_time_to_first_reply_s); }],
        ["Corrections approved", function (x) { return x.corrections_approved; }],
      ], a.days.slice().reverse()));
    }, fail);
  }

  // ---- evaluation ----
  var RATES = ["hit_at_5", "citation_precision", "rouge_l", "declined_unanswerable", "declined_answerable", "handoff_recall", "exact_figure", "facts_correct", "followup_correct"];
  function loadRuns() {
    C.api("GET", "/evaluation/reports").then(function (runs) {
      if (!runs.length) {
        put("runs", el("p", { text: "No report yet: run `concierge eval` for this tenant." }));
        return;
      }
      put("runs", C.table("Reports", [
        ["When", function (r) { return new Date(r.created_at).toLocaleString("en-GB"); }],
        ["Questions", function (r) { return r.summary.questions; }],
        ["hit@5", function (r) { return C.fmtNumber(r.summary.hit_at_5); }],
        ["Facts correct", function (r) { return C.fmtNumber(r.summary.facts_correct); }],
        ["p95 ms", function (r) { return C.fmtNumber(r.summary.p95_ms, 1); }],
        ["", function (r) { return el("button", { type: "button", text: "Show", "aria-label": "Show the report of " + r.created_at, onclick: function () { loadReport(r.name); } }); }],
      ], runs));
      loadReport(runs[0].name);
    }, fail);
  }
  function loadReport(name) {
    C.api("GET", "/evaluation/reports/" + encodeURIComponent(name)).then(function (r) {
      $("report-card").hidden = false;
      $("report-title").textContent = "Report of " + new Date(r.created_at).toLocaleString("en-GB");
      var keys = RATES.filter(function (k) { return typeof r.summary[k] === "number" && !isNaN(r.summary[k]); });
      chart("summary-chart", {
        type: "bar",
        data: { labels: keys, datasets: [{ label: "figure", data: keys.map(function (k) { return r.summary[k]; }), backgroundColor: PALETTE[0] }] },
        options: { scales: { y: { min: 0, max: 1 } }, plugins: { legend: { display: false } } },
      });
      put("summary", C.table("Summary figures", [["Figure", function (k) { return k; }], ["Value", function (k) { return C.fmtNumber(r.summary[k]); }]], Object.keys(r.summary)));
      put("outcomes", C.table("Every question", [
        ["Id", function (o) { return o.id; }], ["Kind", function (o) { return o.kind; }],
        ["Question", function (o) { return o.question; }], ["Answer", function (o) { return o.answer; }],
        ["Hit", function (o) { return o.hit === null || o.hit === undefined ? "–" : o.hit ? "yes" : "no"; }],
        ["Correct", function (o) { return o.correct === null || o.correct === undefined ? "–" : o.correct ? "yes" : "no"; }],
        ["ms", function (o) { return C.fmtNumber(o.latency_ms, 1); }],
      ], r.outcomes || []));
    }, fail);
  }

  var PAGES = {
    documents: function () { $("upload").addEventListener("submit", upload); return loadDocuments; },
    catalog: function () { $("import").addEventListener("submit", importCatalog); return function () {}; },
    providers: function () { $("days").addEventListener("change", loadProviders); setInterval(function () { if (C.key()) loadProviders(); }, 30000); return loadProviders; },
    analytics: function () { $("days").addEventListener("change", loadAnalytics); return loadAnalytics; },
    evaluation: function () { return loadRuns; },
  };
  document.addEventListener("DOMContentLoaded", function () {
    var setup = PAGES[document.body.getAttribute("data-page")];
    if (setup) C.onSignIn(setup());
  });
})();
