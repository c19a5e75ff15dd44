//! Which categories the report counts as tracking: a leaf the findings, the idle baseline
//! and the survey all read.

use crate::attribute::Category;

/// Categories a finding names as tracking: the attribution's tracking categories (analytics,
/// advertising, session replay, social) plus tag managers, which load them.
/// (A test checks it contains every one of [`crate::attribute::TRACKING_CATEGORIES`].)
pub const REPORT_TRACKING_CATEGORIES: [Category; 5] = [
    Category::Analytics,
    Category::Advertising,
    Category::SessionReplay,
    Category::Social,
    Category::TagManager,
];

/// `c` is one of [`REPORT_TRACKING_CATEGORIES`].
pub fn is_tracking(c: Category) -> bool {
    REPORT_TRACKING_CATEGORIES.contains(&c)
}
