// Lab stand-in for Siteimprove Analytics: a page-view image beacon.
(function () {
  var img = new Image(1, 1);
  img.src = "https://6000000.global.siteimproveanalytics.io/image.aspx?accountid=6000000&url=" + encodeURIComponent(location.href) + "&title=" + encodeURIComponent(document.title) + "&rt=" + Date.now();
})();
