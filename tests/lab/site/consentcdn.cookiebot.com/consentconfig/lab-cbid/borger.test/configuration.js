window.CookieConsentLabConfig = { categories: ["necessary", "preferences", "statistics", "marketing"], lang: "da" };
