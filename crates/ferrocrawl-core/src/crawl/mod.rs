pub mod canon;
pub mod robots;

pub use canon::host_key;
