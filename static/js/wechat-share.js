// Inside WeChat: configure the JS-SDK with the server's signature, then set the
// "send to friend" and "share to Moments" cards (title, description, image, the sharer's link).
(function () {
  "use strict";
  var data = document.getElementById("wx-share");
  if (!data || !window.wx) return;
  var share = JSON.parse(data.textContent);
  var config = share.config;
  window.wx.config({
    debug: false, appId: config.appId, timestamp: config.timestamp, nonceStr: config.nonceStr,
    signature: config.signature, jsApiList: config.jsApiList
  });
  window.wx.ready(function () {
    window.wx.updateAppMessageShareData(share.card);
    window.wx.updateTimelineShareData({ title: share.card.title, link: share.card.link, imgUrl: share.card.imgUrl });
  });
})();
