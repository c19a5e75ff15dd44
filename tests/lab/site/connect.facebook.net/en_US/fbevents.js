// Lab stand-in for the Meta pixel: a PageView image beacon.
(function () {
  var img = new Image(1, 1);
  img.src = "https://www.facebook.com/tr/?id=100000000000001&ev=PageView&dl=" + encodeURIComponent(location.href) + "&rl=&if=false&ts=" + Date.now();
})();
