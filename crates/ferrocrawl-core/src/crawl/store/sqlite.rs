//! Placeholder (the SQLite store comes in the next commit).
pub type SqliteFrontier = super::MemoryFrontier;
impl super::MemoryFrontier {
    pub fn open(_path: &std::path::Path, p: crate::crawl::frontier::Politeness) -> crate::Result<Self> { Ok(Self::new(p)) }
}
