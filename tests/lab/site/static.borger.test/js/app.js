// First-party app script. Page-view statistics go to "metrics.borger.test", a first-party name
// whose DNS is a CNAME to Adobe Analytics (borger.sc.omtrdc.net): CNAME cloaking.
(function () {
  var q = "AQB=1&pageName=" + encodeURIComponent(document.title) + "&g=" + encodeURIComponent(location.href) + "&AQE=1";
  var img = new Image(1, 1);
  img.src = "https://metrics.borger.test/b/ss/borgerprod/1/JS-2.22.0/s" + Date.now() + "?" + q;
})();
