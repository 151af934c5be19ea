//! TEMPORARY stand-in until the crawlparts branch lands.
use url::Url;
#[derive(Default)]
pub struct SitemapLimits;
pub async fn discover(_c: &crate::Client, _o: &Url, _r: &[String], _l: &SitemapLimits) -> Vec<Url> { Vec::new() }
