//! The category vocabulary of signatures, in a file of its own: the build script compiles it
//! with the signature format and checker (`build/attribute.rs`).

use serde::{Deserialize, Serialize};

/// What a signature says a service does (the fixed vocabulary of `signatures/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Audience measurement, statistics.
    Analytics,
    /// Ad serving, ad measurement, retargeting.
    Advertising,
    /// Social networks, share buttons, pixels of social networks.
    Social,
    /// Tag managers loading other scripts.
    TagManager,
    /// Session recording, heatmaps.
    SessionReplay,
    /// Consent management platforms (cookie banners).
    ConsentManagement,
    /// Content delivery networks and script/file hosting.
    Cdn,
    /// Web fonts.
    Fonts,
    /// Video hosting and embedded players.
    Video,
    /// Maps.
    Maps,
    /// CAPTCHAs, bot detection, fraud prevention.
    CaptchaSecurity,
    /// Embedded widgets: chat, read-aloud, search, feedback.
    Widget,
    /// Log-in and identity providers.
    IdentityLogin,
    /// DNS resolvers (plain, DoT, DoH).
    DnsResolver,
    /// The operating system's own traffic: connectivity checks, push, time, updates, telemetry.
    OsBackground,
    /// Public-sector services.
    PublicSector,
}

/// Categories of tracking services. A `cloaking_target` service must be in one of them or be a
/// tag manager (the checker says so): a CDN or hosting name is never a cloaking target.
pub const TRACKING_CATEGORIES: [Category; 4] = [
    Category::Analytics,
    Category::Advertising,
    Category::SessionReplay,
    Category::Social,
];
