//! TEMPORARY stand-in until the crawlparts branch lands (allows everything).
use std::sync::Arc;
use std::time::Duration;
use url::Url;
pub struct Robots;
impl Robots {
    pub fn is_allowed(&self, _url: &Url) -> bool { true }
    pub fn crawl_delay(&self) -> Option<Duration> { None }
    pub fn sitemaps(&self) -> &[String] { &[] }
}
pub enum RobotsStatus { Rules(Arc<Robots>), Unavailable }
pub struct RobotsCache;
impl RobotsCache {
    pub fn new(_ua: &str) -> RobotsCache { RobotsCache }
    pub fn peek(&self, _url: &Url) -> Option<RobotsStatus> { Some(RobotsStatus::Rules(Arc::new(Robots))) }
    pub async fn get(&self, _client: &crate::Client, _url: &Url) -> RobotsStatus { RobotsStatus::Rules(Arc::new(Robots)) }
}
