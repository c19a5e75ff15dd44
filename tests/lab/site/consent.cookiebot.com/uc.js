// Lab stand-in for the Cookiebot consent banner loader: fetches the domain's consent configuration.
(function () {
  var s = document.createElement("script");
  s.src = "https://consentcdn.cookiebot.com/consentconfig/lab-cbid/borger.test/configuration.js";
  document.head.appendChild(s);
})();
