pub mod canon;

pub use canon::host_key;
