pub mod canon;
pub mod robots;
pub mod sitemap;

pub use canon::host_key;
