// Lab stand-in for a Google Tag Manager container: loads GA4 and the Meta pixel, as real containers do.
(function () {
  function load(src) { var s = document.createElement("script"); s.async = true; s.src = src; document.head.appendChild(s); }
  window.dataLayer = window.dataLayer || [];
  load("https://www.googletagmanager.com/gtag/js?id=G-LAB0000001");
  load("https://connect.facebook.net/en_US/fbevents.js");
})();
