/* Sharecast landing-page snippet: keeps the referral (sc_click) from the landing page to checkout.
   <script src="https://SHARECAST/sc.js" integrity="sha384-..." crossorigin="anonymous"
           data-days="30" data-domain=".shop.example" async></script>
   First-party cookie only; no dependencies; ES5 so old in-app browsers run it. */
(function (w, d) {
  "use strict";
  var NAME = "sc_click", VALID = /^[0-9a-f]{21}$/;
  var me = d.currentScript || {getAttribute: function () { return null; }};
  var days = parseInt(me.getAttribute("data-days"), 10);
  if (!(days > 0 && days <= 400)) days = 30;
  var domain = me.getAttribute("data-domain");

  function read() {
    var m = d.cookie.match(/(?:^|;\s*)sc_click=([0-9a-f]{21})(?:;|$)/);
    return m ? m[1] : null;
  }

  function keep(id) {
    var c = NAME + "=" + id + "; Max-Age=" + days * 86400 + "; Path=/; SameSite=Lax";
    if (domain && /^\.?[A-Za-z0-9.-]+$/.test(domain)) c += "; Domain=" + domain;
    if (w.location.protocol === "https:") c += "; Secure";
    d.cookie = c;
  }

  function fromUrl() {
    var q = w.location.search, m = q.match(/[?&]sc_click=([^&#]*)/);
    if (!m) return;
    var id = decodeURIComponent(m[1]).toLowerCase();
    if (VALID.test(id)) keep(id);
    // Take it out of the address bar, so a shared or bookmarked URL does not carry it.
    var rest = q.substring(1).split("&").filter(function (p) { return p.split("=")[0] !== NAME; }).join("&");
    if (w.history && w.history.replaceState) {
      w.history.replaceState(w.history.state, "", w.location.pathname + (rest ? "?" + rest : "") + w.location.hash);
    }
  }

  function fill(form) {
    var id = read();
    if (!id || !form || !form.getAttribute || form.getAttribute("data-sharecast") === null) return;
    var field = form.querySelector("input[name=" + NAME + "]");
    if (!field) {
      field = d.createElement("input");
      field.type = "hidden";
      field.name = NAME;
      form.appendChild(field);
    }
    field.value = id;
  }

  function fillAll() {
    var forms = d.querySelectorAll("form[data-sharecast]");
    for (var i = 0; i < forms.length; i++) fill(forms[i]);
  }

  fromUrl();
  w.Sharecast = {clickId: read, fill: fillAll};
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", fillAll);
  else fillAll();
  // Forms added later (single-page checkouts) are filled as they are sent.
  d.addEventListener("submit", function (e) { fill(e.target); }, true);
})(window, document);
