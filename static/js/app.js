// The only script of the pages: copy buttons, confirmations, live previews.
// Everything works without it except copying (a long press selects the text).
(function () {
  "use strict";

  function announce(message) {
    var live = document.getElementById("announce");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 30);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-http pages and older in-app browsers: select a hidden textarea and copy.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      document.body.removeChild(area);
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source && source.tagName !== "PRE" ? source.value : source.textContent;
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    copyText(text).then(function () {
      var copied = button.getAttribute("data-copied") || "Copied";
      button.textContent = copied;
      button.setAttribute("data-done", "1");
      announce(copied);
      window.setTimeout(function () { button.textContent = original; }, 2000);
      var report = button.getAttribute("data-report");
      if (report) { fetch(report, { method: "POST", body: reportBody(button), credentials: "same-origin" }); }
    }, function () {
      if (source.select) { source.select(); }
      announce(button.getAttribute("data-copy-failed") || "");
    });
  });

  function reportBody(button) {
    var form = new FormData();
    var token = document.querySelector("input[name=csrf_token]");
    if (token) form.append("csrf_token", token.value);
    Array.prototype.forEach.call(button.attributes, function (attr) {
      if (attr.name.indexOf("data-report-") === 0) form.append(attr.name.slice(12), attr.value);
    });
    return form;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <form data-preview="/url" data-preview-target="#id">: while typing, the
  // server renders the preview from the unsaved form and it replaces #id.
  function wirePreview(form) {
    var target = document.querySelector(form.getAttribute("data-preview-target"));
    var timer = null, inflight = null;
    if (!target) return;
    function refresh() {
      if (inflight) inflight.abort();
      inflight = new AbortController();
      target.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("data-preview"), {
        method: "POST", body: new FormData(form), credentials: "same-origin", signal: inflight.signal
      }).then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
        .then(function (html) { target.innerHTML = html; target.removeAttribute("aria-busy"); })
        .catch(function () { target.removeAttribute("aria-busy"); });
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 350);
    });
    // Saving ends previewing: a late preview answer must not race the save.
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      if (inflight) inflight.abort();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-preview]"), wirePreview);
  });
  // Web Share API: a "Share…" button where the browser has one (with the poster where files can be
  // shared); elsewhere the button stays hidden and the copy buttons do the job.
  if (navigator.share) {
    document.querySelectorAll("[data-share]").forEach(function (button) { button.hidden = false; });
  }

  function shareData(button) {
    var source = document.querySelector(button.getAttribute("data-share"));
    var data = { title: button.getAttribute("data-share-title") || document.title,
                 text: source ? source.textContent : "" };
    var url = button.getAttribute("data-share-url");
    if (url) data.url = url;
    var image = button.getAttribute("data-share-image");
    if (!image || !navigator.canShare || !window.fetch) return Promise.resolve(data);
    return fetch(image).then(function (res) { return res.blob(); }).then(function (blob) {
      var file = new File([blob], image.split("/").pop(), { type: blob.type });
      if (navigator.canShare({ files: [file] })) data.files = [file];
      return data;
    }).catch(function () { return data; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share]");
    if (!button || !navigator.share) return;
    shareData(button).then(function (data) { return navigator.share(data); }).catch(function (error) {
      if (error && error.name === "AbortError") return;  // the seller closed the share sheet
      var text = (button.getAttribute("data-share-url") || "");
      copyText(text).then(function () { announce(button.getAttribute("data-copied") || text); });
    });
  });
})();

// ---- Console campaign pages: refuse an over-large upload before sending it ----
// <input type="file" data-max-bytes="N" data-too-large="message">: the server
// refuses it anyway; this saves a long upload that would end in an error.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var tooBig = Array.prototype.some.call(input.files || [], function (file) { return file.size > limit; });
    input.setCustomValidity(tooBig ? input.getAttribute("data-too-large") || "Too large" : "");
    if (tooBig) input.reportValidity();
  });
  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector("input[type=file][data-max-bytes]");
    if (input && !input.checkValidity()) { event.preventDefault(); input.reportValidity(); }
  });
})();
// ---- end of console campaign pages ----

// ---- Console dashboard, sharers, commissions and payouts ----
// On a phone the console's navigation bar scrolls sideways: bring the current
// page's entry into view so the reader sees where they are.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var current = document.querySelector(".mainnav [aria-current]");
    if (!current) return;
    var nav = current.closest(".mainnav");  // (the offsets are the bar's: it is positioned)
    if (current.offsetLeft + current.offsetWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft + current.offsetWidth - nav.clientWidth + 16;
    }
  });
})();
// ---- end of console dashboard, sharers, commissions and payouts ----

// Folded text: "Show all" appears only where the fold hides something, and toggles it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-expand]"), function (button) {
      var text = document.querySelector(button.getAttribute("data-expand"));
      if (text && text.scrollHeight > text.clientHeight + 1) { button.hidden = false; }
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-expand]");
    if (!button) return;
    var text = document.querySelector(button.getAttribute("data-expand"));
    if (!text) return;
    var open = button.getAttribute("aria-expanded") === "true";
    var more = button.getAttribute("data-more") || button.textContent;
    button.setAttribute("data-more", more);
    text.classList.toggle("clamped", open);
    button.setAttribute("aria-expanded", open ? "false" : "true");
    button.textContent = open ? more : button.getAttribute("data-less");
  });
})();

// The photo to click for a focus point is scaled to the page: send how wide it was shown.
document.addEventListener("click", function (event) {
  var button = event.target.closest("input[type=image][data-focus]");
  if (button) { button.form.elements.shown_width.value = String(button.clientWidth); }
});

// An import's page while it runs: fetch the page again every few seconds and bring its progress
// in, then put the finished report in place, focused. (A timed refresh of the whole page, which
// the reader cannot stop, is only the fallback without this script.)
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var running = document.querySelector("[data-poll]");
    if (!running) return;
    var every = Number(running.getAttribute("data-poll")) * 1000;
    function poll() {
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var next = fresh.querySelector("[data-poll]");
          if (next) {
            var bar = running.querySelector("progress"), nextBar = next.querySelector("progress");
            bar.value = nextBar.value;
            bar.textContent = nextBar.textContent;
            running.querySelector("[role=status]").textContent = next.querySelector("[role=status]").textContent;
            window.setTimeout(poll, every);
            return;
          }
          var main = document.querySelector("main");
          main.replaceChildren.apply(main, Array.prototype.map.call(fresh.querySelector("main").childNodes,
            function (node) { return document.importNode(node, true); }));
          document.title = fresh.title;
          var heading = main.querySelector("h1");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        })
        .catch(function () { window.setTimeout(poll, every * 2); });
    }
    window.setTimeout(poll, every);
  });
})();

// Poster template editor: each box drawn over the preview can be dragged; dragging writes the
// box's left and top into the form (hundredths of the picture), which redraws the preview.
// Without the script the numbers do the same.
(function () {
  "use strict";
  var BOXES = ["photo", "title", "price", "qr", "seller"];

  function field(form, name) { return form.elements[name]; }

  function place(stage, form) {
    var image = stage.querySelector("#template-preview img");
    var layer = stage.querySelector(".template-boxes");
    if (!image || !layer) return;
    layer.hidden = false;
    layer.style.width = image.clientWidth + "px";
    layer.style.height = image.clientHeight + "px";
    BOXES.forEach(function (name) {
      var box = layer.querySelector("[data-box=" + name + "]");
      var values = ["x", "y", "w", "h"].map(function (part) {
        return parseFloat(field(form, name + "_" + part).value) || 0;
      });
      box.style.left = values[0] + "%";
      box.style.top = values[1] + "%";
      box.style.width = values[2] + "%";
      box.style.height = values[3] + "%";
    });
  }

  function wire(stage) {
    var form = document.querySelector(stage.getAttribute("data-template-stage"));
    var layer = stage.querySelector(".template-boxes");
    if (!form || !layer) return;
    var dragging = null;
    layer.addEventListener("pointerdown", function (event) {
      var box = event.target.closest("[data-box]");
      if (!box) return;
      var name = box.getAttribute("data-box");
      dragging = { name: name, x: event.clientX, y: event.clientY,
                   left: parseFloat(field(form, name + "_x").value) || 0,
                   top: parseFloat(field(form, name + "_y").value) || 0,
                   w: parseFloat(field(form, name + "_w").value) || 0,
                   h: parseFloat(field(form, name + "_h").value) || 0 };
      box.setPointerCapture(event.pointerId);
      box.classList.add("is-dragging");
      event.preventDefault();
    });
    layer.addEventListener("pointermove", function (event) {
      if (!dragging) return;
      var dx = (event.clientX - dragging.x) / layer.clientWidth * 100;
      var dy = (event.clientY - dragging.y) / layer.clientHeight * 100;
      var left = Math.round(Math.min(100 - dragging.w, Math.max(0, dragging.left + dx)));
      var top = Math.round(Math.min(100 - dragging.h, Math.max(0, dragging.top + dy)));
      field(form, dragging.name + "_x").value = String(left);
      field(form, dragging.name + "_y").value = String(top);
      place(stage, form);
    });
    function drop() {
      if (!dragging) return;
      layer.querySelector("[data-box=" + dragging.name + "]").classList.remove("is-dragging");
      dragging = null;
      field(form, "photo_x").dispatchEvent(new Event("input", { bubbles: true }));  // redraw the preview
    }
    layer.addEventListener("pointerup", drop);
    layer.addEventListener("pointercancel", drop);
    form.addEventListener("input", function () { place(stage, form); });
    // Typing a box's numbers names that box over the preview (its label is hidden at rest).
    function mark(event, on) {
      var name = (event.target.name || "").split("_")[0];
      var box = BOXES.indexOf(name) >= 0 && layer.querySelector("[data-box=" + name + "]");
      if (box) box.classList.toggle("is-active", on);
    }
    form.addEventListener("focusin", function (event) { mark(event, true); });
    form.addEventListener("focusout", function (event) { mark(event, false); });
    new MutationObserver(function () {
      var image = stage.querySelector("#template-preview img");
      if (image && !image.complete) { image.addEventListener("load", function () { place(stage, form); }); }
      place(stage, form);
    }).observe(stage.querySelector("#template-preview"), { childList: true });
    var first = stage.querySelector("#template-preview img");
    if (first && !first.complete) { first.addEventListener("load", function () { place(stage, form); }); }
    window.addEventListener("resize", function () { place(stage, form); });
    place(stage, form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-template-stage]"), wire);
  });
})();
